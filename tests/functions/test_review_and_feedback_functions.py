"""Reviews, feedback tickets and the NPS survey through the handlers."""

from __future__ import annotations

from datetime import timedelta

from retail.common.clock import day_of, utcnow
from retail.common.database import database
from retail.orders import mark_paid

from .harness import as_operator, call, handler, sample


def completed_order(key="review-0001", who="o-test-user"):
    order = call("order_place", {**sample("order_place"), "idempotency_key": key}, who)["data"]
    mark_paid(database(), order["order_id"], f"TX-{key}", order["total"])
    as_operator(
        "order_ship", {"order_id": order["order_id"], "carrier": "SF", "tracking_no": f"SF{key}"}
    )
    call("order_confirm", {"order_id": order["order_id"]}, who)
    return order


def review(order, **changes):
    data = {"order_id": order["order_id"], "sku_id": "p-mango-1", "rating": 4, "text": "甜"}
    return call("review_create", {**data, **changes})


def test_only_the_buyer_of_a_completed_line_reviews_it_once(seeded):
    unpaid = call("order_place", {**sample("order_place"), "idempotency_key": "review-early"})
    early = review(unpaid["data"])
    assert early["code"] == "CONFLICT"
    order = completed_order()
    assert review(order, sku_id="p-pear-1")["code"] == "NOT_FOUND"  # not a line of it
    theirs = {"order_id": order["order_id"], "sku_id": "p-mango-1", "rating": 5}
    assert call("review_create", theirs, "o-other")["code"] == "NOT_FOUND"
    stolen = review(order, images=["reviews/o-other/a.jpg"])
    assert stolen["code"] == "FORBIDDEN"
    created = review(order)
    assert created["code"] == "OK" and created["data"]["buyer"].endswith("*")
    assert review(order)["code"] == "CONFLICT"
    call("review_create", {"order_id": order["order_id"], "sku_id": "p-eggs-1", "rating": 2})
    page = call("review_list", {"product_id": "p-mango"}, None)["data"]
    assert page["count"] == 1 and page["average"] == 4.0
    product = seeded.products.find_one({"_id": "p-mango"})
    assert product["rating"] == {"count": 1, "sum": 4} and not product.get("ops")


def test_operators_reply_and_hide_and_the_rating_follows(seeded):
    order = completed_order()
    review_id = review(order)["data"]["review_id"]
    replied = as_operator("review_moderate", {"review_id": review_id, "reply": "谢谢"}, "service")
    assert replied["data"]["reply"] == "谢谢"
    hide = {"review_id": review_id, "hidden": True}
    assert as_operator("review_moderate", hide, "merchant:m-huaxia")["code"] == "FORBIDDEN"
    assert as_operator("review_moderate", hide, "merchant:m-self")["code"] == "NOT_FOUND"
    as_operator("review_moderate", hide)
    as_operator("review_moderate", hide)  # twice: the rating moves once
    assert seeded.products.find_one({"_id": "p-mango"})["rating"] == {"count": 0, "sum": 0}
    assert call("review_list", {"product_id": "p-mango"}, None)["data"]["reviews"] == []
    assert seeded.audit_log.count_documents({"action": "review_moderate"}) == 3


def test_tickets_put_high_value_customers_first_and_move_once(seeded):
    seeded.customers.insert_one({"_id": "o-vip", "segment": "high_value"})
    plain = call("feedback_create", {"kind": "suggestion", "text": "多进点芒果"}, "o-plain")
    vip = call("feedback_create", {"kind": "complaint", "text": "送晚了"}, "o-vip")
    assert vip["data"]["priority"] == 1 and plain["data"]["priority"] == 2
    queue = as_operator("feedback_queue", {}, "service")["data"]["tickets"]
    assert [t["ticket_id"] for t in queue] == [vip["data"]["ticket_id"], plain["data"]["ticket_id"]]
    move = {"ticket_id": vip["data"]["ticket_id"], "status": "RESOLVED", "reply": "已补券"}
    assert as_operator("feedback_update", move, "service")["data"]["status"] == "RESOLVED"
    back = {**move, "status": "IN_PROGRESS"}
    assert as_operator("feedback_update", back, "service")["code"] == "CONFLICT"
    foreign = {"kind": "complaint", "text": "别人的订单", "order_id": "O2611240000000NOSUCH"}
    assert call("feedback_create", foreign)["code"] == "NOT_FOUND"


def test_nps_once_per_completed_order_and_the_weekly_score(seeded):
    orders = [completed_order(f"nps-{n:04d}") for n in range(4)]
    for order, score in zip(orders, (10, 9, 7, 3), strict=True):
        assert (
            call("survey_answer", {"order_id": order["order_id"], "score": score})["code"] == "OK"
        )
    again = call("survey_answer", {"order_id": orders[0]["order_id"], "score": 0})
    assert again["code"] == "CONFLICT" and again["details"]["reason"] == "ALREADY_ANSWERED"
    today = day_of(utcnow())
    span = {"start": (today - timedelta(days=7)).isoformat(), "end": today.isoformat()}
    total = as_operator("survey_report", span)["data"]["total"]
    assert (total["promoters"], total["passives"], total["detractors"]) == (2, 1, 1)
    assert total["nps"] == 25.0


def test_ad_slots_serve_in_their_window_and_report_per_merchant(seeded):
    slot = sample("ad_slot_save")
    now = utcnow()
    slot.update(
        starts_at=(now - timedelta(hours=1)).isoformat(),
        ends_at=(now + timedelta(days=1)).isoformat(),
    )
    assert as_operator("ad_slot_save", slot)["code"] == "OK"
    later = {
        **slot,
        "slot_id": "home-banner-later",
        "starts_at": (now + timedelta(days=2)).isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
    }
    as_operator("ad_slot_save", later)
    wrong = {**slot, "slot_id": "x-1", "position": "category_top"}
    assert as_operator("ad_slot_save", wrong)["code"] == "INVALID_ARGUMENT"
    for who in ("o-1", "o-2", "o-3", "o-4"):
        served = call("ad_list", {"position": "home_banner"}, who)["data"]["slots"]
        assert [s["slot_id"] for s in served] == ["home-banner-mango"]
    call("ad_list", {"position": "home_banner"}, None)  # a visitor not signed in
    call("track", {"events": [{"type": "ad_click", "slot_id": "home-banner-mango"}]}, "o-1")
    assert handler("analytics_rollup")(sample("timer_trigger"), {})["code"] == "OK"
    today = day_of(now).isoformat()
    report = as_operator("ad_report", {"start": today, "end": today}, "merchant:m-huaxia")["data"]
    row = next(r for r in report["slots"] if r["slot_id"] == "home-banner-mango")
    assert (row["impressions"], row["clicks"], row["ctr"]) == (5, 1, 0.2)
    assert seeded.daily_active.find_one({"_id": today})["dau"] == 4  # the anonymous one is no user
    assert report["merchants"]["m-huaxia"]["spend"] == 50000 + 50000
    other = as_operator("ad_report", {"start": today, "end": today}, "merchant:m-self")["data"]
    assert other["slots"] == []


def live_slot(now):
    """The sample slot, on from an hour ago until tomorrow."""
    return {
        **sample("ad_slot_save"),
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }


def test_a_stopped_slot_is_served_no_more_and_its_report_row_saves_it_again(seeded):
    now = utcnow()
    slot = live_slot(now)
    assert as_operator("ad_slot_save", slot)["code"] == "OK"
    today = day_of(now).isoformat()
    row = next(
        r
        for r in as_operator("ad_report", {"start": today, "end": today})["data"]["slots"]
        if r["slot_id"] == slot["slot_id"]
    )
    saved = {k: row[k] for k in [*slot, "active"]}  # every field the slot was saved with
    assert (saved["title"], saved["image_key"], saved["active"]) == (
        slot["title"],
        slot["image_key"],
        True,
    )
    assert as_operator("ad_slot_save", {**saved, "active": False})["code"] == "OK"
    assert call("ad_list", {"position": "home_banner"}, "o-1")["data"]["slots"] == []
    assert seeded.ad_slots.find_one({"_id": slot["slot_id"]})["price"] == slot["price"]


def test_a_slot_is_served_only_while_its_product_is_on_sale_and_names_a_real_category(seeded):
    now = utcnow()
    slot = live_slot(now)
    assert as_operator("ad_slot_save", slot)["code"] == "OK"
    seeded.products.update_one({"_id": slot["product_id"]}, {"$set": {"status": "OFF_SALE"}})
    assert call("ad_list", {"position": "home_banner"}, "o-1")["data"]["slots"] == []
    seeded.products.update_one({"_id": slot["product_id"]}, {"$set": {"status": "ON_SALE"}})
    served = call("ad_list", {"position": "home_banner"}, "o-1")["data"]["slots"]
    assert [s["slot_id"] for s in served] == [slot["slot_id"]]
    unknown = {**slot, "slot_id": "cat-top", "position": "category_top", "category_id": "nope"}
    assert as_operator("ad_slot_save", unknown)["code"] == "NOT_FOUND"
    naive = {
        **slot,
        "slot_id": "naive",
        "ends_at": (now + timedelta(days=1)).replace(tzinfo=None).isoformat(),
    }
    assert as_operator("ad_slot_save", naive)["code"] == "INVALID_ARGUMENT"  # it answered 500
    assert seeded.ad_slots.count_documents({}) == 1
