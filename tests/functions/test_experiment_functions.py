"""Experiments and flags through the handlers: saved by admins, assigned the same way on
every call, exposure logged once, results equal to a count from the exposures and events."""

from __future__ import annotations

from retail.experiments import forget_cached_definitions

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
    forget_cached_definitions()
    assert call("experiment_assign", {}, "o-late")["data"]["experiments"] == {}
    assert admin("experiment_results", {"experiment_id": "nope"})["code"] == "NOT_FOUND"
    bad = {**sample("experiment_save"), "arms": [{"name": "only", "weight": 1}]}
    assert admin("experiment_save", bad)["code"] == "INVALID_ARGUMENT"
