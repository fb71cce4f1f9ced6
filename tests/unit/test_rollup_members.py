"""No rollup document grows with traffic: a day's active users and payers are kept in parts
of at most PART_SIZE keys, and the dashboards count them exactly as before."""

from __future__ import annotations

from datetime import timedelta

from retail.analytics.dashboards import SalesQuery, active_report, sales_report
from retail.analytics.members import PART_SIZE
from retail.analytics.rollup import roll_up_day
from retail.common.clock import business_day, day_of, utcnow
from retail.common.models import DayRange
from retail.common.operator import Operator

USERS = 2 * PART_SIZE + 345  # three parts
ADMIN = Operator("op-admin", "admin")


def busy_day(db, day):
    start, _ = business_day(day)
    at = start + timedelta(hours=3)
    db.events.insert_many(
        [
            {"day": day.isoformat(), "openid": f"o{n}", "type": "page_view", "at": at}
            for n in range(USERS)
        ]
    )
    line = {"merchant_id": "m1", "amount": 100}
    db.orders.insert_many(
        [
            {
                "_id": f"ord{n}",
                "openid": f"o{n}",
                "status": "PAID",
                "total": 100,
                "paid_amount": 100,
                "lines": [line],
                "created_at": at,
                "paid_at": at,
            }
            for n in range(USERS)
        ]
    )


def test_members_are_split_into_bounded_parts_and_counted_exactly(db):
    day = day_of(utcnow())
    busy_day(db, day)
    roll_up_day(db, day)
    for name in ("daily_active_users", "daily_payers"):
        parts = list(db[name].find({"day": day.isoformat()}))
        assert parts and max(len(p["users"]) for p in parts) <= PART_SIZE
    assert "users" not in db.daily_active.find_one({"_id": day.isoformat()})
    assert all("payers" not in doc for doc in db.daily_stats.find({}))
    report = sales_report(SalesQuery(start=day, end=day, period="day"), operator=ADMIN, db=db)
    assert report.total.paying_users == USERS and report.total.paid_orders == USERS
    days = active_report(DayRange(start=day, end=day), db=db).days
    assert days[0].dau == USERS


def test_a_second_rollup_with_fewer_members_drops_the_parts_it_no_longer_needs(db):
    day = day_of(utcnow())
    busy_day(db, day)
    roll_up_day(db, day)
    db.orders.delete_many({"_id": {"$nin": ["ord1", "ord2"]}})
    roll_up_day(db, day)
    payers = list(db.daily_payers.find({"day": day.isoformat(), "merchant_id": "m1"}))
    assert [sorted(p["users"]) for p in payers] == [sorted(payers[0]["users"])]
    assert len(payers[0]["users"]) == 2
