"""analytics_rollup: the hourly timer that turns a business day's events and orders into
the daily aggregates the dashboards read, then refreshes the customer table (RFM segments)
and the retention cohorts.

Every aggregate is recomputed whole from its sources and written under a deterministic id
(documents of the day that no longer apply are removed), so running the rollup twice for a
day changes nothing. Users appear in aggregates only as pseudonymous keys.

Keys of `daily_stats` / `daily_funnel`: `<day>|<merchant or *>|<channel or *>`, with
merchants split only over all channels and channels only over all merchants.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, Field

from retail.catalog import total_sales
from retail.common.clock import business_day, day_of, utcnow
from retail.common.database import database
from retail.common.models import OUT, STRICT
from retail.common.scope import ALL
from retail.common.vocabulary import OrderStatus
from retail.store import Db

from .channels import UNKNOWN, channel_of
from .customers import refresh_customers
from .keys import user_key
from .members import read_members, write_members
from .retention import refresh_retention

AD_EVENTS = ["ad_impression", "ad_click"]  # impressions count anonymous visitors too


class RollUp(BaseModel):
    model_config = STRICT
    day: date | None = Field(
        None, strict=False, description="a business day (YYYY-MM-DD); default yesterday and today"
    )


class RollupSummary(BaseModel):
    model_config = OUT
    days: list[str]
    events: int
    paid_orders: int
    customers: int


def roll_up(cmd: RollUp, *, db: Db | None = None) -> RollupSummary:
    db = db if db is not None else database()
    today = day_of(utcnow())
    days = [cmd.day] if cmd.day else [today - timedelta(days=1), today]
    events = paid = 0
    for day in days:
        counted = roll_up_day(db, day)
        events += counted[0]
        paid += counted[1]
    customers = refresh_customers(db, today)
    refresh_retention(db, today)
    total_sales(db)  # the products' sales counters, from their shards (catalog.sales)
    return RollupSummary(
        days=[d.isoformat() for d in days], events=events, paid_orders=paid, customers=customers
    )


def roll_up_day(db: Db, day: date) -> tuple[int, int]:
    """Write the day's aggregates; returns (events, paid orders) seen."""
    key_day = day.isoformat()
    start, end = business_day(day)
    window = {"$gte": start, "$lt": end}
    fields = {"openid": 1, "lines": 1, "total": 1, "paid_amount": 1, "created_at": 1}
    events = list(
        db.events.find(
            {"day": key_day, "openid": {"$ne": None}},
            {"openid": 1, "type": 1, "channel": 1, "merchant_id": 1, "share_code": 1, "slot_id": 1},
            sort=[("at", 1)],
        )
    )
    placed = list(
        db.orders.find({"created_at": window, "status": {"$ne": OrderStatus.FAILED}}, fields)
    )
    paid = list(db.orders.find({"paid_at": window}, fields))
    refunded = list(db.orders.find({"refunded_at": window}, fields))
    channel = _channels(db, events, placed + paid + refunded)

    stats: dict[tuple[str, str], dict[str, Any]] = defaultdict(_blank_stats)
    for order in paid:
        for key, amount in _keys(order, channel):
            row = stats[key]
            row["gmv"] += amount
            row["paid_orders"] += 1
            row["payers"].add(user_key(order["openid"]))
    for order in refunded:
        for key, amount in _keys(order, channel):
            stats[key]["refunds"] += 1
            stats[key]["refund_amount"] += amount
    payers: dict[tuple[str, ...], set[str]] = {k: row.pop("payers") for k, row in stats.items()}
    _write_day(
        db,
        "daily_stats",
        key_day,
        {key: {**row, "paying_users": len(payers[key])} for key, row in stats.items()},
    )
    write_members(db, "daily_payers", key_day, payers, ("merchant_id", "channel"))
    funnels = _funnels(events, placed, paid, channel)
    _write_day(
        db,
        "daily_funnel",
        key_day,
        {
            key: {step: len(users) for step, users in steps.items()}
            for key, steps in funnels.items()
        },
    )
    write_members(
        db,
        "daily_funnel_users",
        key_day,
        {(*key, step): users for key, steps in funnels.items() for step, users in steps.items()},
        ("merchant_id", "channel", "step"),
    )
    _write_active(db, day, events, placed, paid)
    _write_shares(db, key_day, events, paid)
    _write_ads(db, key_day, list(db.events.find({"day": key_day, "type": {"$in": AD_EVENTS}})))
    return len(events), len(paid)


def _blank_stats() -> dict[str, Any]:
    return {"gmv": 0, "paid_orders": 0, "refunds": 0, "refund_amount": 0, "payers": set()}


def _channels(db: Db, events: list[dict[str, Any]], orders: list[dict[str, Any]]) -> dict[str, str]:
    """Each user's channel that day: the entry scene of their first visit that day, else
    the scene they first came in by, else unknown."""
    channel: dict[str, str] = {}
    for event in events:
        if event.get("channel") and event["openid"] not in channel:
            channel[event["openid"]] = event["channel"]
    missing = sorted({o["openid"] for o in orders} - channel.keys())
    for user in db.users.find({"_id": {"$in": missing}}, {"entry_scene": 1}):
        channel[user["_id"]] = channel_of(user.get("entry_scene"))
    return channel


def _keys(order: dict[str, Any], channel: dict[str, str]) -> list[tuple[tuple[str, str], int]]:
    """The aggregate keys an order counts under, with its amount under each: the whole order
    for the platform (what the buyer paid), its own lines for each merchant."""
    paid = order.get("paid_amount", order["total"])
    keys = [((ALL, ALL), paid), ((ALL, channel.get(order["openid"], UNKNOWN)), paid)]
    by_merchant: dict[str, int] = defaultdict(int)
    for line in order["lines"]:
        by_merchant[line["merchant_id"]] += line["amount"]
    keys += [((merchant, ALL), amount) for merchant, amount in by_merchant.items()]
    return keys


def _funnels(
    events: list[dict[str, Any]],
    placed: list[dict[str, Any]],
    paid: list[dict[str, Any]],
    channel: dict[str, str],
) -> dict[tuple[str, str], dict[str, set[str]]]:
    """view -> cart -> order -> pay: the users (keys) who reached each step that day, having
    done every step before it that day."""
    steps: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
        lambda: {"view": set(), "cart": set(), "order": set(), "pay": set()}
    )

    def mark(step: str, openid: str, merchants: set[str]) -> None:
        for key in [(ALL, ALL), (ALL, channel.get(openid, UNKNOWN))] + [
            (m, ALL) for m in merchants
        ]:
            steps[key][step].add(openid)

    for event in events:
        step = {"product_view": "view", "add_to_cart": "cart"}.get(event["type"])
        if step:
            mark(
                step, event["openid"], {event["merchant_id"]} if event.get("merchant_id") else set()
            )
    for step, orders in (("order", placed), ("pay", paid)):
        for order in orders:
            mark(step, order["openid"], {line["merchant_id"] for line in order["lines"]})
    funnels = {}
    for key, users in steps.items():
        reached = users["view"]
        members = {"view": {user_key(u) for u in reached}}
        for step in ("cart", "order", "pay"):
            reached = reached & users[step]
            members[step] = {user_key(u) for u in reached}
        funnels[key] = members
    return funnels


def _write_day(
    db: Db, collection: str, day: str, rows: dict[tuple[str, str], dict[str, Any]]
) -> None:
    ids = []
    for (merchant, channel), row in rows.items():
        doc_id = f"{day}|{merchant}|{channel}"
        ids.append(doc_id)
        db[collection].replace_one(
            {"_id": doc_id},
            {"day": day, "merchant_id": merchant, "channel": channel, **row},
            upsert=True,
        )
    db[collection].delete_many({"day": day, "_id": {"$nin": ids}})


def _write_active(
    db: Db,
    day: date,
    events: list[dict[str, Any]],
    placed: list[dict[str, Any]],
    paid: list[dict[str, Any]],
) -> None:
    """Today's active users, and the distinct users of the 7 and 30 days ending today."""
    users = {user_key(doc["openid"]) for doc in [*events, *placed, *paid]}
    window = [(day - timedelta(days=n)).isoformat() for n in range(1, 30)]
    earlier = read_members(db, "daily_active_users", {"day": {"$in": window}})
    week, month = set(users), set(users)
    for n, other in enumerate(window, start=1):
        seen = earlier.get(other, set())
        month |= seen
        if n < 7:
            week |= seen
    db.daily_active.replace_one(
        {"_id": day.isoformat()},
        {
            "day": day.isoformat(),
            "dau": len(users),
            "wau": len(week),
            "mau": len(month),
        },
        upsert=True,
    )
    write_members(db, "daily_active_users", day.isoformat(), {(): users}, ())


def _write_shares(
    db: Db, day: str, events: list[dict[str, Any]], paid: list[dict[str, Any]]
) -> None:
    """Share codes that brought visitors, and the orders those visitors paid that day."""
    opened: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event["type"] == "share_open" and event.get("share_code"):
            opened[event["share_code"]].add(event["openid"])
    rows = []
    for code, visitors in opened.items():
        orders = [o for o in paid if o["openid"] in visitors]
        rows.append(
            {
                "share_code": code,
                "visitors": len(visitors),
                "paid_orders": len(orders),
                "gmv": sum(o.get("paid_amount", o["total"]) for o in orders),
            }
        )
    rows.sort(key=lambda r: (-r["gmv"], -r["visitors"], r["share_code"]))
    db.daily_shares.replace_one({"_id": day}, {"day": day, "codes": rows[:50]}, upsert=True)


def _write_ads(db: Db, day: str, events: list[dict[str, Any]]) -> None:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"impressions": 0, "clicks": 0})
    for event in events:
        kind = {"ad_impression": "impressions", "ad_click": "clicks"}.get(event["type"])
        if kind and event.get("slot_id"):
            counts[event["slot_id"]][kind] += 1
    ids = []
    for slot_id, row in counts.items():
        ids.append(f"{day}|{slot_id}")
        db.daily_ads.replace_one(
            {"_id": ids[-1]}, {"day": day, "slot_id": slot_id, **row}, upsert=True
        )
    db.daily_ads.delete_many({"day": day, "_id": {"$nin": ids}})
