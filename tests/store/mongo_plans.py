"""Reading MongoDB's explain output: the stages of the winning plan, and whether any is a
collection scan. The plan is a tree of stages, each with `inputStage` or `inputStages`
(https://www.mongodb.com/docs/manual/reference/explain-results/); from 5.1 a query the
slot-based engine runs nests it under `winningPlan.queryPlan`, and a sharded collection lists
each shard's plan under `shards`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def winning_stages(explain: Mapping[str, Any]) -> list[str]:
    planner = explain.get("queryPlanner") or {}
    return list(_stages(planner.get("winningPlan") or {}))


def scans(explain: Mapping[str, Any]) -> bool:
    """Whether the winning plan reads the whole collection (a COLLSCAN stage anywhere)."""
    return "COLLSCAN" in winning_stages(explain)


def _stages(plan: Mapping[str, Any]) -> Iterator[str]:
    if "queryPlan" in plan:
        yield from _stages(plan["queryPlan"])
        return
    if "stage" in plan:
        yield plan["stage"]
    if "inputStage" in plan:
        yield from _stages(plan["inputStage"])
    for child in plan.get("inputStages") or []:
        yield from _stages(child)
    for shard in plan.get("shards") or []:
        yield from _stages(shard.get("winningPlan") or {})
