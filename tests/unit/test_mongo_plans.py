"""The explain reader against plans in the shapes MongoDB's manual documents
(https://www.mongodb.com/docs/manual/reference/explain-results/: the classic engine's stage
tree, `inputStages` for an $or, the slot-based engine's `queryPlan` from 5.1, `shards`)."""

from __future__ import annotations

from tests.store.mongo_plans import scans, winning_stages

CLASSIC_INDEX = {
    "queryPlanner": {
        "namespace": "retail.orders",
        "winningPlan": {
            "stage": "FETCH",
            "inputStage": {"stage": "IXSCAN", "keyPattern": {"openid": 1, "created_at": -1}},
        },
        "rejectedPlans": [{"stage": "COLLSCAN"}],  # a rejected plan is not the one run
    }
}
CLASSIC_SCAN = {"queryPlanner": {"winningPlan": {"stage": "COLLSCAN", "direction": "forward"}}}
OR_HALF_SCANNED = {
    "queryPlanner": {
        "winningPlan": {
            "stage": "SUBPLAN",
            "inputStage": {
                "stage": "OR",
                "inputStages": [
                    {"stage": "FETCH", "inputStage": {"stage": "IXSCAN"}},
                    {"stage": "COLLSCAN"},
                ],
            },
        }
    }
}
SLOT_BASED = {
    "queryPlanner": {
        "winningPlan": {
            "queryPlan": {"stage": "FETCH", "inputStage": {"stage": "IXSCAN"}},
            "slotBasedPlan": {"slots": "...", "stages": "..."},
        }
    }
}
SHARDED = {
    "queryPlanner": {
        "winningPlan": {
            "stage": "SHARD_MERGE",
            "shards": [
                {"shardName": "s0", "winningPlan": {"stage": "IXSCAN"}},
                {"shardName": "s1", "winningPlan": {"stage": "COLLSCAN"}},
            ],
        }
    }
}


def test_an_index_plan_is_not_a_scan_whatever_was_rejected():
    assert winning_stages(CLASSIC_INDEX) == ["FETCH", "IXSCAN"] and not scans(CLASSIC_INDEX)


def test_a_collection_scan_is_found_wherever_it_sits():
    assert scans(CLASSIC_SCAN) and scans(OR_HALF_SCANNED) and scans(SHARDED)


def test_the_slot_based_engines_plan_is_read_under_query_plan():
    assert winning_stages(SLOT_BASED) == ["FETCH", "IXSCAN"] and not scans(SLOT_BASED)
