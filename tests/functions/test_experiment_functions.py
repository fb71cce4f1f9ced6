"""Experiments and flags through the handlers: saved by admins, assigned the same way on
every call, exposure logged once, results equal to a count from the exposures and events
(or, for the order metrics, the orders); a save reaches buyers at once."""

from __future__ import annotations

from retail.orders import mark_paid

from .harness import call, handler, sample

USERS = [f"o-exp-{n}" for n in range(60)]


def admin(name, data):
    return handler(name)(data, {"RETAIL_DEV_OPERATOR": "op1:admin", "environment": "{}"})


def test_assignment_exposure_and_results(seeded):
    saved = admin("experiment_save", sample("experiment_save"))
    assert saved["data"]["status"] == "RUNNING"
    assert admin("flag_save", sample("flag_save"))["code"] == "OK"
    arms = {}
    for user in USERS:
        first = call("experiment_assign", {}, user)["data"]
        again = call("experiment_assign", {}, user)["data"]
        assert first == again
        arms[user] = first["experiments"]["share-copy"]
        assert first["payloads"]["share-copy"]["title"]
    assert seeded.exposures.count_documents({}) == len(USERS)  # once each, not per call
    assert set(arms.values()) == {"control", "discount"}
    tester = call("experiment_assign", {}, "o-tester")["data"]
    assert tester["flags"]["recommend-for-you"] is True  # on the allow-list
    arms["o-tester"] = tester["experiments"]["share-copy"]
    sharers = USERS[::3]
    for user in sharers:
        call("track", {"events": [{"type": "share", "page": "pages/product/detail"}]}, user)
    results = admin("experiment_results", {"experiment_id": "share-copy"})["data"]
    for row in results["arms"]:
        members = [u for u, arm in arms.items() if arm == row["arm"]]
        assert row["exposed"] == len(members)
        assert row["converted"] == len([u for u in members if u in sharers])
    assert results["arms"][1]["p_value"] is not None
    assert (
        seeded.audit_log.count_documents({"action": {"$in": ["experiment_save", "flag_save"]}}) == 2
    )


def test_a_stopped_experiment_assigns_nobody(seeded):
    admin("experiment_save", {**sample("experiment_save"), "status": "STOPPED"})
    assert call("experiment_assign", {}, "o-late")["data"]["experiments"] == {}
    assert admin("experiment_results", {"experiment_id": "nope"})["code"] == "NOT_FOUND"
    bad = {**sample("experiment_save"), "arms": [{"name": "only", "weight": 1}]}
    assert admin("experiment_save", bad)["code"] == "INVALID_ARGUMENT"


def on_metric(metric, experiment_id="checkout-copy"):
    return {**sample("experiment_save"), "experiment_id": experiment_id, "metric": metric}


def test_an_experiment_on_pay_counts_the_paid_orders_of_each_arm(seeded):
    assert admin("experiment_save", on_metric("pay"))["code"] == "OK"
    buyers = [f"o-pay-{n}" for n in range(12)]
    arms = {
        b: call("experiment_assign", {}, b)["data"]["experiments"]["checkout-copy"] for b in buyers
    }
    assert set(arms.values()) == {"control", "discount"}
    payers = buyers[::2]
    for n, buyer in enumerate(buyers):
        data = {**sample("order_place"), "idempotency_key": f"exp-pay-{n:04d}"}
        order = call("order_place", data, buyer)["data"]
        if buyer in payers:
            assert mark_paid(seeded, order["order_id"], f"TX-exp-{n}", order["total"])
    results = admin("experiment_results", {"experiment_id": "checkout-copy"})["data"]
    assert results["metric"] == "pay"
    for row in results["arms"]:
        members = [b for b, arm in arms.items() if arm == row["arm"]]
        assert row["exposed"] == len(members)
        assert row["converted"] == len([b for b in members if b in payers]) > 0


def test_an_experiment_on_order_counts_placed_orders_not_failed_ones(seeded):
    assert admin("experiment_save", on_metric("order"))["code"] == "OK"
    call("experiment_assign", {}, "o-placer")
    call("experiment_assign", {}, "o-late")
    call("order_place", {**sample("order_place"), "idempotency_key": "exp-order-0001"}, "o-placer")
    seeded.stock.update_one({"_id": "p-mango-1@central"}, {"$set": {"available": 1}})
    late = {**sample("order_place"), "idempotency_key": "exp-order-0002"}
    assert call("order_place", late, "o-late")["code"] == "OUT_OF_STOCK"
    assert seeded.orders.find_one({"openid": "o-late"})["status"] == "FAILED"
    arms = admin("experiment_results", {"experiment_id": "checkout-copy"})["data"]["arms"]
    assert sum(row["exposed"] for row in arms) == 2
    assert sum(row["converted"] for row in arms) == 1


def test_a_metric_nothing_records_is_refused_and_nothing_is_saved(seeded):
    answer = admin("experiment_save", on_metric("purchase"))
    assert answer["code"] == "INVALID_ARGUMENT"
    assert answer["details"]["reason"] == "METRIC_NOT_RECORDED"
    assert "pay" in answer["details"]["metrics"] and "share" in answer["details"]["metrics"]
    assert seeded.experiments.count_documents({}) == 0
    assert seeded.audit_log.count_documents({}) == 0


def test_a_saved_experiment_or_flag_reaches_buyers_at_once(seeded):
    assert admin("experiment_save", sample("experiment_save"))["code"] == "OK"
    assert call("experiment_assign", {}, "o-early")["data"]["flags"] == {}  # cached now
    saved = admin("experiment_save", on_metric("pay"))["data"]
    assert saved["other_instances_within_seconds"] == 30
    flag = admin("flag_save", {**sample("flag_save"), "rollout_percent": 100})["data"]
    assert flag["other_instances_within_seconds"] == 30
    seen = call("experiment_assign", {}, "o-early")["data"]
    assert set(seen["experiments"]) == {"share-copy", "checkout-copy"}
    assert seen["flags"] == {"recommend-for-you": True}
    admin("flag_save", {**sample("flag_save"), "enabled": False})
    assert call("experiment_assign", {}, "o-early")["data"]["flags"] == {"recommend-for-you": False}


def test_experiments_are_listed_for_the_console_to_offer_by_name(seeded):
    assert admin("experiment_save", sample("experiment_save"))["code"] == "OK"
    listed = admin("experiment_list", {})["data"]["experiments"]
    assert [e["experiment_id"] for e in listed] == [sample("experiment_save")["experiment_id"]]
    assert {a["name"] for a in listed[0]["arms"]} == {
        a["name"] for a in sample("experiment_save")["arms"]
    }
