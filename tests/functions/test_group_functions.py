"""Group buying: open, join, succeed when paid; at the deadline fail, refund, cancel, once."""

from __future__ import annotations

from datetime import timedelta

from retail.common.clock import utcnow
from retail.inventory import audit_stock
from retail.orders import mark_paid

from .harness import as_operator, call, handler, sample

ADDRESS = sample("order_place")["address"]


def group_order(openid, key, group_id=None):
    group = {"deal_id": "g-honey-3", **({"group_id": group_id} if group_id else {})}
    return call(
        "order_place",
        {
            "items": [{"sku_id": "p-honey-1", "qty": 1}],
            "address": ADDRESS,
            "idempotency_key": key,
            "group": group,
        },
        openid=openid,
    )


def pay(db, order):
    assert mark_paid(db, order["order_id"], f"TX-{order['order_id']}", order["total"])


def expire_timer():
    return handler("group_expire")(sample("group_expire"), {})["data"]


def test_a_group_fills_and_succeeds_when_every_member_has_paid(seeded):
    leader = group_order("o-lead", "group-key-0001")["data"]
    assert leader["lines"][0]["price"] == 4800 and leader["group_id"]
    gid = leader["group_id"]
    members = [group_order(f"o-m{i}", f"group-key-000{i + 2}", gid)["data"] for i in range(2)]
    assert group_order("o-late", "group-key-0009", gid)["code"] == "CONFLICT"  # full
    assert group_order("o-lead", "group-key-0010", gid)["code"] == "CONFLICT"  # already in
    for order in [leader, *members]:
        pay(seeded, order)
    group = call("group_get", {"group_id": gid})["data"]
    assert (group["joined"], group["paid"], group["status"]) == (3, 3, "SUCCEEDED")
    assert expire_timer()["processed"] == 0


def test_a_shared_group_shows_its_deal_and_whether_the_caller_is_in_it(seeded):
    gid = group_order("o-lead", "group-key-0301")["data"]["group_id"]
    seen = {
        who: call("group_get", {"group_id": gid}, openid=who)["data"] for who in ("o-lead", "o-x")
    }
    assert seen["o-lead"]["mine"] is True and seen["o-x"]["mine"] is False
    assert call("group_get", {"group_id": gid})["data"]["mine"] is False  # nobody signed in
    shown = seen["o-x"]
    assert (shown["product_id"], shown["sku_id"], shown["group_price"]) == (
        "p-honey",
        "p-honey-1",
        4800,
    )
    assert (shown["size"], shown["joined"], shown["status"]) == (3, 1, "OPEN")
    assert "members" not in shown and "leader" not in shown


def test_a_cancelled_member_frees_a_place(seeded):
    gid = group_order("o-lead", "group-key-0101")["data"]["group_id"]
    member = group_order("o-m1", "group-key-0102", gid)["data"]
    call("order_cancel", {"order_id": member["order_id"]}, openid="o-m1")
    assert call("group_get", {"group_id": gid})["data"]["joined"] == 1
    assert group_order("o-m2", "group-key-0103", gid)["code"] == "OK"


def test_a_group_past_its_deadline_refunds_the_paid_and_cancels_the_rest_once(seeded):
    leader = group_order("o-lead", "group-key-0201")["data"]
    gid = leader["group_id"]
    paid_member = group_order("o-m1", "group-key-0202", gid)["data"]
    unpaid = group_order("o-m2", "group-key-0203", gid)["data"]
    pay(seeded, leader)
    pay(seeded, paid_member)
    seeded.groups.update_one({"_id": gid}, {"$set": {"deadline": utcnow() - timedelta(seconds=1)}})
    assert expire_timer()["processed"] == 1
    statuses = {o["_id"]: o["status"] for o in seeded.orders.find({"group_id": gid})}
    assert statuses == {
        leader["order_id"]: "REFUNDING",
        paid_member["order_id"]: "REFUNDING",
        unpaid["order_id"]: "CANCELLED",
    }
    assert seeded.refunds.count_documents({}) == 2
    assert expire_timer()["processed"] == 0
    assert seeded.refunds.count_documents({}) == 2
    honey = seeded.stock.find_one({"_id": "p-honey-1@central"})
    assert (honey["available"], honey["reserved"], honey["sold"]) == (90, 0, 0)
    assert audit_stock(seeded) == []
    assert call("group_get", {"group_id": gid})["data"]["status"] == "FAILED"


def test_group_orders_are_one_unit_of_the_deal(seeded):
    wrong = call(
        "order_place",
        {
            "items": [{"sku_id": "p-honey-1", "qty": 2}],
            "address": ADDRESS,
            "idempotency_key": "group-key-0301",
            "group": {"deal_id": "g-honey-3"},
        },
    )
    assert wrong["code"] == "INVALID_ARGUMENT"
    unknown = group_order("o-x", "group-key-0302", "GNOSUCHGROUP")
    assert unknown["code"] == "CONFLICT" and seeded.orders.find_one({})["status"] == "FAILED"


def _ship(order_id, role="admin"):
    ship = {"order_id": order_id, "carrier": "SF", "tracking_no": "SF1234567890"}
    return as_operator("order_ship", ship, role)


def test_an_order_of_a_group_that_has_not_formed_is_neither_shipped_nor_picked_up(seeded):
    leader = group_order("o-lead", "group-key-0301")["data"]
    gid = leader["group_id"]
    pay(seeded, leader)
    refused = _ship(leader["order_id"])
    assert refused["code"] == "CONFLICT" and refused["details"]["reason"] == "GROUP_NOT_FORMED"
    assert seeded.orders.find_one({"_id": leader["order_id"]})["status"] == "PAID"
    members = [group_order(f"o-m{i}", f"group-key-031{i}", gid)["data"] for i in range(2)]
    for order in members:
        pay(seeded, order)
    assert call("group_get", {"group_id": gid})["data"]["status"] == "SUCCEEDED"
    assert _ship(leader["order_id"])["data"]["status"] == "SHIPPED"


def test_a_group_order_for_pickup_waits_for_the_group_too(seeded):
    stock = {"sku_id": "p-honey-1", "location": "s-nanping", "delta": 5, "reason": "delivery"}
    assert as_operator("stock_adjust", stock, "admin")["code"] == "OK"
    data = {
        "items": [{"sku_id": "p-honey-1", "qty": 1}],
        "delivery": "pickup",
        "store_id": "s-nanping",
        "idempotency_key": "group-pickup-01",
        "group": {"deal_id": "g-honey-3"},
    }
    order = call("order_place", data, openid="o-lead")["data"]
    pay(seeded, order)
    code = seeded.orders.find_one({"_id": order["order_id"]})["pickup_code"]
    verify = {"store_id": "s-nanping", "pickup_code": code}
    refused = as_operator("order_pickup_verify", verify, "service")
    assert refused["code"] == "CONFLICT" and refused["details"]["reason"] == "GROUP_NOT_FORMED"


def test_a_failed_group_refunds_every_member_who_paid_whatever_state_the_order_reached(seeded):
    leader = group_order("o-lead", "group-key-0401")["data"]
    gid = leader["group_id"]
    shipped = group_order("o-m1", "group-key-0402", gid)["data"]
    for order in (leader, shipped):
        pay(seeded, order)
    # shipped before shipping waited for the group (an order from an older release)
    seeded.orders.update_one({"_id": shipped["order_id"]}, {"$set": {"status": "SHIPPED"}})
    seeded.groups.update_one({"_id": gid}, {"$set": {"deadline": utcnow() - timedelta(seconds=1)}})
    assert expire_timer()["processed"] == 1
    statuses = {o["_id"]: o["status"] for o in seeded.orders.find({"group_id": gid})}
    assert statuses == {leader["order_id"]: "REFUNDING", shipped["order_id"]: "REFUNDING"}
    refunds = {r["order_id"]: r["amount"] for r in seeded.refunds.find({})}
    assert refunds == {leader["order_id"]: leader["total"], shipped["order_id"]: shipped["total"]}
    assert expire_timer()["processed"] == 0 and seeded.refunds.count_documents({}) == 2


def test_a_group_keeps_the_size_it_opened_with_when_the_deal_is_edited(seeded):
    gid = group_order("o-lead", "group-key-0401")["data"]["group_id"]
    seeded.group_deals.update_one({"_id": "g-honey-3"}, {"$set": {"size": 1, "group_price": 3000}})
    shown = call("group_get", {"group_id": gid}, openid="o-x")["data"]
    assert (shown["size"], shown["joined"], shown["group_price"]) == (3, 1, 3000)
    assert shown["open_to_join"] is True
    joined = group_order("o-m1", "group-key-0402", gid)
    assert joined["code"] == "OK" and joined["data"]["group_id"] == gid  # refused before


def test_a_group_whose_deal_ended_or_went_is_not_open_to_join_and_never_a_500(seeded):
    gid = group_order("o-lead", "group-key-0501")["data"]["group_id"]
    assert call("group_get", {"group_id": gid})["data"]["open_to_join"] is True
    seeded.group_deals.update_one({"_id": "g-honey-3"}, {"$set": {"status": "ENDED"}})
    assert call("group_get", {"group_id": gid})["data"]["open_to_join"] is False
    assert group_order("o-m1", "group-key-0502", gid)["code"] == "NOT_FOUND"
    seeded.group_deals.delete_one({"_id": "g-honey-3"})
    assert call("group_get", {"group_id": gid})["code"] == "NOT_FOUND"


def test_a_group_order_lying_about_what_it_buys_or_its_deal_joins_nothing_and_holds_nothing(
    seeded,
):
    gid = group_order("o-lead", "group-key-0601")["data"]["group_id"]
    seeded.group_deals.insert_one(
        {**seeded.group_deals.find_one({"_id": "g-honey-3"}), "_id": "g-honey-5", "size": 5}
    )
    before = seeded.groups.find_one({"_id": gid})
    lies = [
        {"items": [{"sku_id": "p-mango-1", "qty": 1}], "group": {"deal_id": "g-honey-3"}},
        {"items": [{"sku_id": "p-honey-1", "qty": 2}], "group": {"deal_id": "g-honey-3"}},
        {"items": [{"sku_id": "p-honey-1", "qty": 1}], "group": {"deal_id": "g-nope"}},
    ]
    for n, lie in enumerate(lies):
        body = {"address": ADDRESS, "idempotency_key": f"group-lie-000{n}", **lie}
        assert call("order_place", body, "o-liar")["code"] in ("INVALID_ARGUMENT", "NOT_FOUND")
    other_deal = {"deal_id": "g-honey-5", "group_id": gid}  # another deal's price, this group
    body = {
        "address": ADDRESS,
        "idempotency_key": "group-lie-0009",
        "items": [{"sku_id": "p-honey-1", "qty": 1}],
        "group": other_deal,
    }
    assert call("order_place", body, "o-liar")["code"] == "CONFLICT"
    assert seeded.groups.find_one({"_id": gid}) == before
    assert seeded.orders.count_documents({"openid": "o-liar", "status": {"$ne": "FAILED"}}) == 0
    assert audit_stock(seeded) == []  # a refused join gave back what it had reserved
