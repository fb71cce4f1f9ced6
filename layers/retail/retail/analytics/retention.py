"""Retention cohorts by the week of a customer's first paid order: of each cohort, the share
active (any tracked event or order) 1, 7 and 30 days after their first order, and in each
of the 8 weeks after their cohort's week. Days and weeks still to come are left out."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from retail.store import Db

from .keys import user_key
from .members import read_members

COHORTS = 12
WEEKS = 8


def refresh_retention(db: Db, today: date) -> None:
    first_week = today - timedelta(days=today.weekday(), weeks=COHORTS - 1)
    active: dict[date, set[str]] = {
        date.fromisoformat(day): users
        for day, users in read_members(
            db, "daily_active_users", {"day": {"$gte": first_week.isoformat()}}
        ).items()
    }
    cohorts: dict[date, list[tuple[str, date]]] = defaultdict(list)
    for customer in db.customers.find(
        {"first_order_day": {"$gte": first_week.isoformat()}}, {"first_order_day": 1}
    ):
        first = date.fromisoformat(customer["first_order_day"])
        cohorts[first - timedelta(days=first.weekday())].append((user_key(customer["_id"]), first))
    rows = []
    for week in sorted(cohorts):
        members = cohorts[week]
        row: dict[str, Any] = {"week": week.isoformat(), "size": len(members)}
        for label, offset in (("d1", 1), ("d7", 7), ("d30", 30)):
            due = [
                (key, first) for key, first in members if first + timedelta(days=offset) <= today
            ]
            back = sum(key in active.get(first + timedelta(days=offset), ()) for key, first in due)
            row[label] = round(back / len(due), 4) if due else None
        weekly = []
        for k in range(1, WEEKS + 1):
            start = week + timedelta(weeks=k)
            if start > today:
                break
            seen = set().union(*(active.get(start + timedelta(days=d), set()) for d in range(7)))
            weekly.append(round(sum(key in seen for key, _ in members) / len(members), 4))
        row["weeks"] = weekly
        rows.append(row)
    db.analytics_summaries.replace_one(
        {"_id": "retention"}, {"cohorts": rows, "as_of": today.isoformat()}, upsert=True
    )
