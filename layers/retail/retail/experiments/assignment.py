"""Who gets which arm and which flag, the same way in every function.

bucket = sha256("<salt>:<openid>") mod 10,000, so an openid always lands in the same arm
while the salt stays, and arms split by their weights. A user's first assignment to a
running experiment is logged once as an exposure (the denominator of its results).
Definitions are read once per warm instance and kept for CACHE_SECONDS (a save drops them).
"""

from __future__ import annotations

import hashlib
import time
from contextlib import suppress
from typing import Any

from pydantic import BaseModel
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.models import OUT, STRICT
from retail.store import Db

BUCKETS = 10_000
CACHE_SECONDS = 30
_cache: dict[str, Any] = {}


class ShowAssignments(BaseModel):
    model_config = STRICT


class Assignments(BaseModel):
    model_config = OUT
    experiments: dict[str, str]
    payloads: dict[str, dict[str, str]]
    flags: dict[str, bool]


def bucket(salt: str, openid: str) -> int:
    digest = hashlib.sha256(f"{salt}:{openid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def arm_for(experiment: dict[str, Any], openid: str) -> dict[str, Any]:
    """The arm an openid lands in, by cumulative weight."""
    point = bucket(experiment["salt"], openid) * sum(a["weight"] for a in experiment["arms"])
    edge = 0
    for arm in experiment["arms"]:
        edge += arm["weight"] * BUCKETS
        if point < edge:
            return dict(arm)
    return dict(experiment["arms"][-1])


def flag_on(flag: dict[str, Any], openid: str | None) -> bool:
    if not flag.get("enabled"):
        return False
    percent = float(flag.get("rollout_percent", 0))
    if openid is None:
        return percent >= 100
    if openid in flag.get("allow", []):
        return True
    return bucket(f"{flag.get('salt', 'flag')}:{flag['_id']}", openid) < percent * BUCKETS / 100


def _definitions(db: Db) -> dict[str, list[dict[str, Any]]]:
    if _cache.get("until", 0) < time.monotonic():
        _cache["value"] = {
            "experiments": list(db.experiments.find({"status": "RUNNING"}, sort=[("_id", 1)])),
            "flags": list(db.flags.find({}, sort=[("_id", 1)])),
        }
        _cache["until"] = time.monotonic() + CACHE_SECONDS
    value: dict[str, list[dict[str, Any]]] = _cache["value"]
    return value


def forget_cached_definitions() -> None:
    _cache.clear()


def running_experiments(db: Db) -> list[dict[str, Any]]:
    return _definitions(db)["experiments"]


def feature_enabled(flag_id: str, openid: str | None, db: Db | None = None) -> bool:
    """Whether a feature flag is on for this caller; unknown flags are off."""
    db = db if db is not None else database()
    flag = next((f for f in _definitions(db)["flags"] if f["_id"] == flag_id), None)
    return flag is not None and flag_on(flag, openid)


def assign(_: ShowAssignments, *, openid: str, db: Db | None = None) -> Assignments:
    """The caller's arm in every running experiment (exposure logged once) and their flags."""
    db = db if db is not None else database()
    definitions = _definitions(db)
    arms, payloads = {}, {}
    for experiment in definitions["experiments"]:
        arm = arm_for(experiment, openid)
        arms[experiment["_id"]] = arm["name"]
        payloads[experiment["_id"]] = arm.get("payload", {})
        with suppress(DuplicateKeyError):  # exposed before: the first exposure counts
            db.exposures.insert_one(
                {
                    "_id": f"{experiment['_id']}:{openid}",
                    "experiment": experiment["_id"],
                    "arm": arm["name"],
                    "openid": openid,
                    "at": utcnow(),
                }
            )
    flags = {flag["_id"]: flag_on(flag, openid) for flag in definitions["flags"]}
    return Assignments(experiments=arms, payloads=payloads, flags=flags)
