"""What WeChat Pay moved for a statement, beside what the statement computed: the splits of
the sales it carries (one per sub-order, payments.profit_sharing), for operators (admin, or
the statement's own merchant) and the console's statement page."""

from __future__ import annotations

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


class SplitPage(BaseModel):
    model_config = OUT
    statement_id: str
    payment_mode: str = Field(description="direct: nothing is split, the shop's account holds it")
    computed: int = Field(description="the statement's commission, fen")
    moved: int = Field(description="commission WeChat Pay moved for its sales, fen")
    pending: int = Field(description="its sales whose split has not ended yet")
    splits: list[SplitView] = Field(description="the first 1,000 by sub-order")


def list_splits(cmd: ListSplits, *, operator: Operator, db: Db | None = None) -> SplitPage:
    """Raises NotFound (no such statement, or another merchant's) or Forbidden."""
    db = db if db is not None else database()
    statement = statement_figures(db, cmd.statement_id)
    scope = merchant_scope(operator, None, "statements")
    if statement is None or scope not in ("*", statement.merchant_id):
        raise NotFound(f"no statement {cmd.statement_id!r}")
    moved, pending, views = 0, 0, list[SplitView]()
    for share in db.profit_shares.find({"statement_id": cmd.statement_id}, sort=[("_id", 1)]):
        view = _view(share)  # every split counts in the totals; the first MAX_LISTED shown
        moved += view.moved
        pending += view.state not in ("FINISHED", "GIVEN_BACK")
        if len(views) < MAX_LISTED:
            views.append(view)
    return SplitPage(
        statement_id=cmd.statement_id,
        payment_mode=settings().payment_mode,
        computed=statement.commission,
        moved=moved,
        pending=pending,
        splits=views,
    )


def _view(share: dict[str, Any]) -> SplitView:
    split = sum(
        int(r.get("amount", 0))
        for r in share.get("receivers") or []
        if r.get("result") == "SUCCESS"
    )
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
    )
