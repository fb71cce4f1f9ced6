"""The data loop through the handlers: tracked events and orders, the rollup, and every
dashboard checked against an independent recomputation from the orders and events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from retail.common.clock import business_day, day_of, travel, utcnow
from retail.orders import mark_paid

from .harness import as_operator, call, handler, sample

TODAY = day_of(utcnow()).isoformat()  # the day of the running test (one_whole_day)
ROLLUPS = (
    "daily_stats",
    "daily_funnel",
    "daily_active",
    "daily_active_users",
    "daily_payers",
    "daily_shares",
    "customers",
)


def roll_up():
    event = {**sample("analytics_rollup"), "Message": json.dumps({"day": TODAY})}
    answer = handler("analytics_rollup")(event, {})
    assert answer["code"] == "OK", answer
    return answer["data"]


@pytest.fixture(autouse=True)
def one_whole_day():
    """A test's events and the day it asks the reports for are one business day (Asia/Shanghai),
    whatever the hour it runs: one that would start in the last ten minutes of a day starts
    just after midnight instead."""
    global TODAY
    now = utcnow()
    midnight = business_day(day_of(now))[1]
    if midnight - now < timedelta(minutes=10):
        travel(midnight - now + timedelta(seconds=1))
    TODAY = day_of(utcnow()).isoformat()
    yield
    travel(timedelta(0))


@pytest.fixture
def shop(seeded):
    """Six visitors: views, carts, a share, three orders, two paid, one of them refunded."""
    scenes = {"o-a": 1007, "o-b": 1011, "o-c": 1053, "o-d": 1007, "o-e": 1001, "o-f": 1047}
    for who, scene in scenes.items():
        assert call("user_login", {"scene": scene}, who)["code"] == "OK"
    code = call("share_create", {"product_id": "p-mango"}, "o-f")["data"]["share_code"]
    for who in ("o-a", "o-b", "o-c", "o-d", "o-e"):
        events = [{"type": "product_view", "product_id": "p-mango", "scene": scenes[who]}]
        if who != "o-e":
            events.append({"type": "add_to_cart", "product_id": "p-mango"})
        if who == "o-a":
            events.append({"type": "share_open", "share_code": code})
        assert call("track", {"events": events}, who)["data"]["recorded"] == len(events)
    orders = {}
    for who in ("o-a", "o-b", "o-c"):
        data = {**sample("order_place"), "idempotency_key": f"analytics-{who}"}
        orders[who] = call("order_place", data, who)["data"]
    for who in ("o-a", "o-b"):
        mark_paid(seeded, orders[who]["order_id"], f"TX-{who}", orders[who]["total"])
    seeded.orders.update_one(  # as the refund notification leaves a refunded order
        {"_id": orders["o-b"]["order_id"]},
        {"$set": {"status": "REFUNDED", "refunded_at": utcnow()}},
    )
    return seeded


def test_sales_equal_a_recomputation_from_the_orders(shop):
    roll_up()
    paid = list(shop.orders.find({"paid_at": {"$exists": True}}))
    report = as_operator("analytics_sales", {"start": TODAY, "end": TODAY})["data"]
    row = report["rows"][0]
    assert row["gmv"] == sum(o["paid_amount"] for o in paid) == report["total"]["gmv"]
    assert row["paid_orders"] == len(paid) == 2
    assert row["paying_users"] == len({o["openid"] for o in paid})
    assert row["aov"] == row["gmv"] // 2
    assert row["refunds"] == 1 and row["refund_rate"] == 0.5
    mango = [ln for o in paid for ln in o["lines"] if ln["merchant_id"] == "m-huaxia"]
    merchant = as_operator("analytics_sales", {"start": TODAY, "end": TODAY}, "merchant:m-huaxia")
    assert merchant["data"]["total"]["gmv"] == sum(ln["amount"] for ln in mango)
    share = as_operator("analytics_sales", {"start": TODAY, "end": TODAY, "channel": "share"})
    assert share["data"]["total"]["paid_orders"] == 1  # o-a came by a share card


def test_funnel_counts_users_who_did_every_step_before(shop):
    roll_up()
    steps = as_operator("analytics_funnel", {"start": TODAY, "end": TODAY})["data"]["steps"]
    viewed = set(shop.events.distinct("openid", {"type": "product_view"}))
    carted = viewed & set(shop.events.distinct("openid", {"type": "add_to_cart"}))
    ordered = carted & set(shop.orders.distinct("openid", {"status": {"$ne": "FAILED"}}))
    paid = ordered & set(shop.orders.distinct("openid", {"paid_at": {"$exists": True}}))
    assert [s["users"] for s in steps] == [len(viewed), len(carted), len(ordered), len(paid)]
    assert [s["users"] for s in steps] == [5, 4, 3, 2]
    assert steps[1]["conversion"] == 0.8 and steps[1]["drop_off"] == 0.2


def test_active_users_channels_segments_and_retention(shop):
    summary = roll_up()
    assert summary["customers"] == 1  # o-b's only order was refunded
    active = as_operator("analytics_active", {"start": TODAY, "end": TODAY})["data"]["days"]
    everyone = set(shop.events.distinct("openid")) | set(shop.orders.distinct("openid"))
    assert active == [{"day": TODAY, "dau": len(everyone), "wau": 5, "mau": 5}]
    channels = as_operator("analytics_channels", {"start": TODAY, "end": TODAY})["data"]
    by_name = {c["channel"]: c for c in channels["channels"]}
    assert by_name["share"]["visitors"] == 2 and by_name["share"]["paid_orders"] == 1
    assert channels["share_codes"][0]["visitors"] == 1
    assert channels["share_codes"][0]["paid_orders"] == 1
    segments = as_operator("analytics_segments", {})["data"]["data"]["segments"]
    assert sum(segments.values()) == 1 and segments["new"] == 1
    cohorts = as_operator("analytics_retention", {})["data"]["data"]["cohorts"]
    assert [c["size"] for c in cohorts] == [1] and cohorts[0]["d1"] is None


def test_running_the_rollup_twice_changes_nothing(shop):
    roll_up()
    first = {name: list(shop[name].find({})) for name in (*ROLLUPS, "analytics_summaries")}
    roll_up()
    assert {name: list(shop[name].find({})) for name in first} == first


def test_merchants_see_only_themselves_and_service_sees_no_analytics(shop):
    roll_up()
    days = {"start": TODAY, "end": TODAY}
    own = as_operator("analytics_funnel", days, "merchant:m-self")["data"]
    assert own["merchant_id"] == "m-self"
    other = {**days, "merchant_id": "m-huaxia"}
    assert as_operator("analytics_sales", other, "merchant:m-self")["code"] == "FORBIDDEN"
    assert as_operator("analytics_sales", days, "service")["code"] == "FORBIDDEN"
    assert (
        as_operator("analytics_segments", {}, "merchant:m-self")["data"]["merchant_id"] == "m-self"
    )
    split = {**days, "merchant_id": "m-self", "channel": "share"}
    assert as_operator("analytics_sales", split)["code"] == "INVALID_ARGUMENT"


def test_tracking_trusts_the_server_not_the_client(seeded):
    forged = {"events": [{"type": "order_paid", "product_id": "p-mango"}]}
    assert call("track", forged)["code"] == "INVALID_ARGUMENT"
    assert call("track", {"events": [{"type": "page_view"}] * 51})["code"] == "INVALID_ARGUMENT"
    assert call("track", {"events": [{"type": "page_view", "openid": "o-x"}]})["code"] == (
        "INVALID_ARGUMENT"
    )
    call("track", {"events": [{"type": "product_view", "product_id": "p-mango"}]}, "o-real")
    event = seeded.events.find_one({})
    assert event["openid"] == "o-real" and event["merchant_id"] == "m-huaxia"
    assert event["day"] == TODAY


def test_users_over_a_range_are_counted_once_whatever_the_days(shop):
    """The same shoppers on two days: every figure labelled "users" counts each of them once
    over the range (user-days summed gave 103 paying "users" beside 40)."""
    from datetime import date, timedelta

    yesterday = (date.fromisoformat(TODAY) - timedelta(days=1)).isoformat()
    for doc in shop.events.find({"day": TODAY}):
        shop.events.insert_one(
            {
                **{k: v for k, v in doc.items() if k != "_id"},
                "day": yesterday,
                "at": doc["at"] - timedelta(days=1),
            }
        )
    for day in (yesterday, TODAY):
        event = {**sample("analytics_rollup"), "Message": json.dumps({"day": day})}
        assert handler("analytics_rollup")(event, {})["code"] == "OK"
    one_day = {"start": TODAY, "end": TODAY}
    two_days = {"start": yesterday, "end": TODAY}
    funnel = {
        s["step"]: s["users"] for s in as_operator("analytics_funnel", two_days)["data"]["steps"]
    }
    assert funnel == {
        s["step"]: s["users"] for s in as_operator("analytics_funnel", one_day)["data"]["steps"]
    }
    assert funnel["view"] == 5
    sales = as_operator("analytics_sales", two_days)["data"]["total"]
    assert funnel["pay"] <= sales["paying_users"] == 2
    channels = as_operator("analytics_channels", two_days)["data"]["channels"]
    assert sum(c["visitors"] for c in channels) == 5  # each visitor in one channel


def test_the_customer_table_follows_only_orders_whose_spending_changed(seeded):
    """The hourly refresh reads the orders marked `customer_due` since its last run: a paid
    order marks its buyer, a refund marks it again (its spend goes), an order only placed
    marks nothing, so placing orders writes no entry in that index."""
    from retail.analytics.customers import refresh_customers
    from retail.orders.refunding import finish_refund

    from .harness import consent, paid_order

    today = day_of(utcnow())
    refresh_customers(seeded, today)  # the first run reads everyone
    for buyer in ("o-c0", "o-c1"):
        call("user_login", {}, buyer)
        consent(buyer)
    placed = call("order_place", {**sample("order_place"), "idempotency_key": "customer-0"}, "o-c0")
    assert "customer_due" not in seeded.orders.find_one({"_id": placed["data"]["order_id"]})
    order = paid_order("customer-1", "o-c1")
    refresh_customers(seeded, today)
    assert seeded.customers.find_one({"_id": "o-c1"})["orders"] == 1
    assert seeded.customers.find_one({"_id": "o-c0"}) is None
    seeded.orders.update_one({"_id": order["order_id"]}, {"$set": {"status": "REFUNDING"}})
    finish_refund(seeded, order["order_id"], "SUCCESS")
    refresh_customers(seeded, today)
    assert seeded.customers.find_one({"_id": "o-c1"}) is None  # no spending left


def test_a_refresh_after_the_mark_it_follows_changed_reads_everyone_once(seeded):
    """A cursor left by code that followed updated_at is not trusted: an order paid by that
    code (no customer_due) between its last run and this code's first is still counted."""
    from retail.analytics.customers import JOB, refresh_customers

    from .harness import consent, paid_order

    today = day_of(utcnow())
    call("user_login", {}, "o-old-code")
    consent("o-old-code")
    order = paid_order("old-code-payment", "o-old-code")
    seeded.orders.update_one({"_id": order["order_id"]}, {"$unset": {"customer_due": ""}})
    seeded.job_cursors.insert_one({"_id": JOB, "after": utcnow(), "scored_day": str(today)})
    refresh_customers(seeded, today)
    assert seeded.customers.find_one({"_id": "o-old-code"})["orders"] == 1


def test_shipping_and_receipt_leave_the_customer_mark_as_payment_set_it(seeded):
    """Within the spending statuses nothing changes a buyer's row: shipping and receipt
    write no new mark (each would be an index write and a recomputed row)."""
    from .harness import paid_order

    order = paid_order("mark-once")
    marked = seeded.orders.find_one({"_id": order["order_id"]})["customer_due"]
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF0000000009"}
    assert as_operator("order_ship", ship)["code"] == "OK"
    assert call("order_confirm", {"order_id": order["order_id"]})["code"] == "OK"
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert stored["status"] == "COMPLETED" and stored["customer_due"] == marked
