"""Merchant settlement: one statement per merchant and business day, exported to COS."""

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
