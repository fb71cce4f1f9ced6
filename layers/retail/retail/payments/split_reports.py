"""What WeChat Pay moved for a statement, beside what the statement computed: the splits of
the sales it carries (one per sub-order, payments.profit_sharing) and the fees WeChat Pay
charged on them (payments.bill_fees), for operators (admin, or the statement's own merchant)
and the console's statement page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from retail.common.database import database
from retail.common.errors import NotFound
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator
from retail.common.scope import merchant_scope
from retail.common.settings import settings
from retail.settlement import statement_figures
from retail.store import Db

from .bill_fees import fees_of
from .share_steps import taken_by_platform

MAX_LISTED = 1000


class ListSplits(BaseModel):
    model_config = STRICT
    statement_id: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+:\d{4}-\d{2}-\d{2}$"
    )


class SplitView(BaseModel):
    model_config = OUT
    order_id: str
    sub_order: str
    state: str
    commission: int = Field(description="the statement's figure for this sub-order, fen")
    moved: int = Field(description="what WeChat Pay split off to the platform and kept, fen")
    subsidy: int = Field(description="the subsidy paid to the merchant and kept, fen")
    released: int | None = Field(description="what WeChat Pay released to the merchant, fen")
    refusal: str | None = Field(description="WeChat Pay's last refusal, while it lasts")
    fee: str | None = Field(
        description="WeChat Pay's fee on the sub-order net of its refunds', yuan to five "
        "decimals, as its trade bill charged the merchant; null until the bill is read"
    )


class SplitPage(BaseModel):
    model_config = OUT
    statement_id: str
    payment_mode: str = Field(description="direct: nothing is split, the shop's account holds it")
    computed: int = Field(description="the statement's commission, fen")
    moved: int = Field(description="commission WeChat Pay moved for its sales, fen")
    pending: int = Field(description="its sales whose split has not ended yet")
    fees: str = Field(description="WeChat Pay's fees on its sales as billed so far, yuan")
    splits: list[SplitView] = Field(description="the first 1,000 by sub-order")


def list_splits(cmd: ListSplits, *, operator: Operator, db: Db | None = None) -> SplitPage:
    """Raises NotFound (no such statement, or another merchant's) or Forbidden."""
    db = db if db is not None else database()
    statement = statement_figures(db, cmd.statement_id)
    scope = merchant_scope(operator, None, "statements")
    if statement is None or scope not in ("*", statement.merchant_id):
        raise NotFound(f"no statement {cmd.statement_id!r}")
    shares = list(db.profit_shares.find({"statement_id": cmd.statement_id}, sort=[("_id", 1)]))
    fees = fees_of(db, [share["_id"] for share in shares])
    moved, pending, views = 0, 0, list[SplitView]()
    for share in shares:
        view = _view(share, fees.get(share["_id"]))
        moved += view.moved  # every split counts in the totals; the first MAX_LISTED shown
        pending += view.state not in ("FINISHED", "GIVEN_BACK")
        if len(views) < MAX_LISTED:
            views.append(view)
    return SplitPage(
        statement_id=cmd.statement_id,
        payment_mode=settings().payment_mode,
        computed=statement.commission,
        moved=moved,
        pending=pending,
        fees=f"{sum(fees.values(), Decimal(0)):.5f}",
        splits=views,
    )


def _view(share: dict[str, Any], fee: Decimal | None) -> SplitView:
    split = taken_by_platform(share)
    refusal = share.get("refusal")
    return SplitView(
        order_id=share["order_id"],
        sub_order=share["_id"],
        state=share["state"],
        commission=share["commission"],
        moved=split - int(share.get("returned") or 0),
        subsidy=(share["subsidy"] if share.get("subsidy_id") else 0)
        - int(share.get("subsidy_returned") or 0),
        released=share.get("finish_amount"),
        refusal=f"{refusal['code']}: {refusal.get('message') or ''}" if refusal else None,
        fee=f"{fee:.5f}" if fee is not None else None,
    )
