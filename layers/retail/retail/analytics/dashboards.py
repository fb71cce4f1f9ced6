"""The dashboards: read only the rollups, so they stay fast as events grow.

Admins see the platform, any merchant or any channel; a merchant sees only itself (its own
sales, funnel and customer segments: the merchant data service); customer service sees none.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.database import database
from retail.common.errors import InvalidArgument, NotFound
from retail.common.models import OPTIONAL_ID, OUT, STRICT
from retail.common.models import DayRange as DayRange  # the dashboards' request, re-exported
from retail.common.operator import Operator
from retail.common.scope import ALL, merchant_scope
from retail.store import Db

from .channels import CHANNELS, UNKNOWN
from .members import read_members

Period = Literal["day", "week", "month"]
Channel = Literal[
    "share",
    "qrcode",
    "search",
    "official_account",
    "ads",
    "nearby",
    "direct",
    "message",
    "payment",
    "other",
    "unknown",
]
assert set(CHANNELS) | {"other", UNKNOWN} == set(Channel.__args__)  # type: ignore[attr-defined]


class Slice(DayRange):
    merchant_id: str | None = OPTIONAL_ID
    channel: Channel | None = None


class SalesQuery(Slice):
    period: Period = "day"


class SalesRow(BaseModel):
    model_config = OUT
    period: str
    gmv: int
    paid_orders: int
    aov: int = Field(description="客单价: GMV per paid order, fen")
    paying_users: int
    refunds: int
    refund_rate: float


class SalesReport(BaseModel):
    model_config = OUT
    merchant_id: str
    channel: str
    rows: list[SalesRow]
    total: SalesRow


class FunnelStep(BaseModel):
    model_config = OUT
    step: str
    users: int = Field(
        description="distinct users over the range who, on one day, did this step and every "
        "step before it"
    )
    conversion: float | None = Field(description="share of the previous step's users")
    drop_off: float | None = None


class FunnelReport(BaseModel):
    model_config = OUT
    merchant_id: str
    channel: str
    steps: list[FunnelStep]


class ActiveDay(BaseModel):
    model_config = OUT
    day: str
    dau: int
    wau: int
    mau: int


class ActiveReport(BaseModel):
    model_config = OUT
    days: list[ActiveDay]


class ShowSummary(BaseModel):
    model_config = STRICT
    merchant_id: str | None = OPTIONAL_ID


class Summary(BaseModel):
    model_config = OUT
    merchant_id: str
    data: dict[str, Any]


class ChannelRow(BaseModel):
    model_config = OUT
    channel: str
    visitors: int = Field(description="distinct users who viewed a product over the range")
    paid_orders: int
    gmv: int


class ChannelReport(BaseModel):
    model_config = OUT
    channels: list[ChannelRow]
    share_codes: list[dict[str, Any]]


def _slice(cmd: Slice, operator: Operator) -> tuple[str, str]:
    merchant, channel = merchant_scope(operator, cmd.merchant_id, "analytics"), cmd.channel or ALL
    if merchant != ALL and channel != ALL:
        raise InvalidArgument("merchants are reported over all channels", field="channel")
    return merchant, channel


def _days(cmd: DayRange) -> dict[str, Any]:
    return {"$gte": cmd.start.isoformat(), "$lte": cmd.end.isoformat()}


def bucket_of(day: str, period: Period) -> str:
    if period == "day":
        return day
    if period == "month":
        return day[:7]
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def sales_report(cmd: SalesQuery, *, operator: Operator, db: Db | None = None) -> SalesReport:
    db = db if db is not None else database()
    merchant, channel = _slice(cmd, operator)
    docs = db.daily_stats.find(
        {"merchant_id": merchant, "channel": channel, "day": _days(cmd)}, sort=[("day", 1)]
    )
    payers = read_members(
        db, "daily_payers", {"merchant_id": merchant, "channel": channel, "day": _days(cmd)}
    )
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    every: list[dict[str, Any]] = []
    for doc in docs:
        grouped[bucket_of(doc["day"], cmd.period)].append(doc)
        every.append(doc)
    return SalesReport(
        merchant_id=merchant,
        channel=channel,
        rows=[_sales_row(period, rows, payers) for period, rows in grouped.items()],
        total=_sales_row("total", every, payers),
    )


def _sales_row(period: str, docs: list[dict[str, Any]], by_day: dict[str, set[str]]) -> SalesRow:
    """One period's figures; paying users are distinct over the period's days."""
    gmv = sum(d["gmv"] for d in docs)
    orders = sum(d["paid_orders"] for d in docs)
    refunds = sum(d["refunds"] for d in docs)
    payers: set[str] = set()
    for doc in docs:
        payers.update(by_day.get(doc["day"], ()))
    return SalesRow(
        period=period,
        gmv=gmv,
        paid_orders=orders,
        aov=gmv // orders if orders else 0,
        paying_users=len(payers),
        refunds=refunds,
        refund_rate=round(refunds / orders, 4) if orders else 0.0,
    )


def funnel_report(cmd: Slice, *, operator: Operator, db: Db | None = None) -> FunnelReport:
    db = db if db is not None else database()
    merchant, channel = _slice(cmd, operator)
    reached: dict[str, set[str]] = {"view": set(), "cart": set(), "order": set(), "pay": set()}
    for doc in db.daily_funnel_users.find(
        {"merchant_id": merchant, "channel": channel, "day": _days(cmd)}, {"step": 1, "users": 1}
    ):
        reached[doc["step"]].update(doc["users"])
    totals = {step: len(users) for step, users in reached.items()}
    steps: list[FunnelStep] = []
    previous: int | None = None
    for step, users in totals.items():
        conversion: float | None = round(users / previous, 4) if previous else None
        steps.append(
            FunnelStep(
                step=step,
                users=users,
                conversion=conversion,
                drop_off=round(1 - conversion, 4) if conversion is not None else None,
            )
        )
        previous = users
    return FunnelReport(merchant_id=merchant, channel=channel, steps=steps)


def active_report(cmd: DayRange, *, db: Db | None = None) -> ActiveReport:
    db = db if db is not None else database()
    docs = db.daily_active.find({"_id": _days(cmd)}, sort=[("_id", 1)])
    return ActiveReport(
        days=[ActiveDay(**{k: d[k] for k in ("day", "dau", "wau", "mau")}) for d in docs]
    )


def retention_report(cmd: ShowSummary, *, db: Db | None = None) -> Summary:
    return Summary(merchant_id=ALL, data=_summary(db, "retention"))


def segments_report(cmd: ShowSummary, *, operator: Operator, db: Db | None = None) -> Summary:
    merchant = merchant_scope(operator, cmd.merchant_id, "analytics")
    summary = _summary(db, "segments")
    counts = summary["counts"] if merchant == ALL else summary["by_merchant"].get(merchant, {})
    return Summary(merchant_id=merchant, data={"segments": counts, "as_of": summary["as_of"]})


def _summary(db: Db | None, name: str) -> dict[str, Any]:
    db = db if db is not None else database()
    doc: dict[str, Any] | None = db.analytics_summaries.find_one({"_id": name}, {"_id": 0})
    if doc is None:
        raise NotFound(f"no {name} yet: analytics_rollup has not run")
    return doc


def channels_report(cmd: DayRange, *, db: Db | None = None) -> ChannelReport:
    db = db if db is not None else database()
    rows: dict[str, dict[str, int]] = defaultdict(
        lambda: {"visitors": 0, "paid_orders": 0, "gmv": 0}
    )
    for doc in db.daily_stats.find(
        {"merchant_id": ALL, "channel": {"$ne": ALL}, "day": _days(cmd)}
    ):
        rows[doc["channel"]]["paid_orders"] += doc["paid_orders"]
        rows[doc["channel"]]["gmv"] += doc["gmv"]
    viewers: dict[str, set[str]] = defaultdict(set)
    for doc in db.daily_funnel_users.find(
        {"merchant_id": ALL, "channel": {"$ne": ALL}, "day": _days(cmd), "step": "view"},
        {"channel": 1, "users": 1},
    ):
        viewers[doc["channel"]].update(doc["users"])
    for name, users in viewers.items():
        rows[name]["visitors"] = len(users)
    codes: dict[str, dict[str, int]] = defaultdict(
        lambda: {"visitors": 0, "paid_orders": 0, "gmv": 0}
    )
    for doc in db.daily_shares.find({"_id": _days(cmd)}):
        for row in doc["codes"]:
            for field in ("visitors", "paid_orders", "gmv"):
                codes[row["share_code"]][field] += row[field]
    ranked = sorted(
        codes.items(), key=lambda item: (-item[1]["gmv"], -item[1]["visitors"], item[0])
    )
    return ChannelReport(
        channels=[
            ChannelRow(channel=name, **row)
            for name, row in sorted(rows.items(), key=lambda item: -item[1]["gmv"])
        ],
        share_codes=[{"share_code": code, **row} for code, row in ranked[:20]],
    )
