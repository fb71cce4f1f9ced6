from .figures import SaleFigures, sale_figures
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
    "SaleFigures",
    "SettleDay",
    "SettlementSummary",
    "StatementPage",
    "list_statements",
    "run_settlement",
    "sale_figures",
]
