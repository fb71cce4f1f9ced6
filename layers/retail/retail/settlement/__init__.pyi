from .statements import (
    ListStatements,
    SettleDay,
    SettlementSummary,
    StatementPage,
    list_statements,
    run_settlement,
)

__all__ = [
    "ListStatements",
    "SettleDay",
    "SettlementSummary",
    "StatementPage",
    "list_statements",
    "run_settlement",
]
