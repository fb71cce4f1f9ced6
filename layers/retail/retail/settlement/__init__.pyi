from .figures import SaleFigures, StatementFigures, sale_figures, statement_figures
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
    "StatementFigures",
    "StatementPage",
    "list_statements",
    "run_settlement",
    "sale_figures",
    "statement_figures",
]
