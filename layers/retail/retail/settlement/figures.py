"""A merchant's figures for one order, as its statements carry them: what profit sharing
takes at WeChat Pay must be exactly what the statement shows (docs/decisions/0025)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from retail.store import Db

from .claims import claim_id, claims_by_id, final_claims
from .ledger import commission_on


class SaleFigures(NamedTuple):
    statement_id: str  # the written statement that carries the sale
    gross: int  # the merchant's goods at their price
    commission: int  # the platform's, per line at the statement's rate, rounded half up


class StatementFigures(NamedTuple):
    statement_id: str
    merchant_id: str
    day: str
    commission: int  # of its sales, as computed


def sale_figures(db: Db, order: Mapping[str, Any], merchant_id: str) -> SaleFigures | None:
    """The merchant's sale of the order as its written statement counted it, or None while
    no written statement carries the sale (its day has not been settled yet)."""
    sale = claim_id("sale", order["_id"], merchant_id)
    if sale not in final_claims(db, [sale]):
        return None
    statement_id = claims_by_id(db, [sale])[sale]["statement_id"]
    statement = db.statements.find_one({"_id": statement_id}, {"commission_rate_bp": 1}) or {}
    rate = int(statement.get("commission_rate_bp", 0))
    lines = [ln for ln in order["lines"] if ln["merchant_id"] == merchant_id]
    return SaleFigures(
        statement_id=statement_id,
        gross=sum(ln["amount"] for ln in lines),
        commission=sum(commission_on(ln["amount"], rate) for ln in lines),
    )


def statement_figures(db: Db, statement_id: str) -> StatementFigures | None:
    """A written statement's figures, or None when there is no such statement."""
    found = db.statements.find_one(
        {"_id": statement_id}, {"merchant_id": 1, "day": 1, "commission": 1}
    )
    if found is None:
        return None
    return StatementFigures(
        statement_id, found["merchant_id"], found["day"], int(found.get("commission", 0))
    )
