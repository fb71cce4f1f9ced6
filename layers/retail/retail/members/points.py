"""Points move exactly once per source: the ledger entry's id is the source key.

Growth (成长值), which sets the level, counts points earned and kept: points given back (a
cancelled order's spent points) are no earning, and points taken back from a refunded order
take their growth with them, so a level follows what the buyer actually bought.

Order of writes: the balance moves with a marker `ops.<key>` on the user (a second move is
refused while it stands), the ledger entry is written, the marker goes. A replay finds the
ledger entry and stops; a crash between the first two is caught by the marker.
"""

from __future__ import annotations

from contextlib import suppress

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.logs import log
from retail.store import Db

LEVEL_GROWTH = (0, 1_000, 5_000, 20_000, 50_000)  # growth needed for levels 1..5
MAX_RETRIES = 5


def level_for(growth: int) -> int:
    return sum(1 for needed in LEVEL_GROWTH if growth >= needed)


def award_points(
    db: Db, openid: str, delta: int, key: str, reason: str, *, earned: bool = True
) -> bool:
    """Move `delta` points for source `key`, as growth too when `earned`; False if it was
    done."""
    if db.points_ledger.find_one({"_id": key}, {"_id": 1}) is not None:
        return False
    marker = f"ops.{key}"
    growth = max(delta, 0) if earned else 0
    user = db.users.find_one_and_update(
        {"_id": openid, marker: {"$exists": False}},
        {"$inc": {"points": delta, "growth": growth}, "$set": {marker: True}},
        return_document=ReturnDocument.AFTER,
    )
    if user is None:  # moved before a crash (the marker stands), or no such user
        user = db.users.find_one({"_id": openid, marker: True}, {"growth": 1})
        if user is None:
            log("points_user_missing", "WARNING", key=key)  # no openid in logs
            return False
    if growth:
        _settle_level(db, openid, user.get("growth", 0))
    _finish(db, openid, delta, key, reason)
    return True


def _settle_level(db: Db, openid: str, growth: int) -> None:
    """The level of this growth, set only while the growth is still this value: of two
    moves racing, the later one's level stands."""
    db.users.update_one({"_id": openid, "growth": growth}, {"$set": {"level": level_for(growth)}})


def spend_points(db: Db, openid: str, amount: int, key: str, reason: str) -> bool:
    """Take `amount` points if the balance has them (one conditional update); False if not."""
    marker = f"ops.{key}"
    spent = db.users.update_one(
        {"_id": openid, "points": {"$gte": amount}, marker: {"$exists": False}},
        {"$inc": {"points": -amount}, "$set": {marker: True}},
    )
    if not spent.modified_count:
        return False
    _finish(db, openid, -amount, key, reason)
    return True


def take_back_points(db: Db, openid: str, earned: int, key: str, reason: str) -> int:
    """Take back points an order earned, never below zero, and the growth they brought:
    what the balance lacks is the shortfall, returned (and recorded on the ledger entry) so
    the refund can be reduced by it. Once per `key`: a replay returns the shortfall the first
    take recorded."""
    done = db.points_ledger.find_one({"_id": key}, {"shortfall": 1})
    if done is not None:
        return int(done.get("shortfall", 0))
    marker = f"ops.{key}"
    for _ in range(MAX_RETRIES):
        user = db.users.find_one({"_id": openid}, {"points": 1, "growth": 1, "ops": 1})
        if user is None:
            return 0
        pending = (user.get("ops") or {}).get(key)
        if isinstance(pending, dict):  # a crash after the balance moved: finish that take
            _settle_level(db, openid, user.get("growth", 0))
            return _finish_take(db, openid, earned, pending["shortfall"], key, reason)
        take = min(max(user.get("points", 0), 0), earned)
        moved = db.users.find_one_and_update(
            {"_id": openid, "points": user.get("points", 0), marker: {"$exists": False}},
            {
                "$inc": {"points": -take, "growth": -earned},
                "$set": {marker: {"shortfall": earned - take}},
            },
            projection={"growth": 1},
            return_document=ReturnDocument.AFTER,
        )
        if moved is not None:
            _settle_level(db, openid, moved["growth"])
            return _finish_take(db, openid, earned, earned - take, key, reason)
    raise RuntimeError(f"points of {openid} kept changing; {key} will be retried")


def _finish_take(db: Db, openid: str, earned: int, shortfall: int, key: str, reason: str) -> int:
    with suppress(DuplicateKeyError):
        db.points_ledger.insert_one(
            {
                "_id": key,
                "openid": openid,
                "delta": -(earned - shortfall),
                "shortfall": shortfall,
                "reason": reason,
                "at": utcnow(),
            }
        )
    db.users.update_one({"_id": openid}, {"$unset": {f"ops.{key}": ""}})
    return shortfall


def give_back_points(
    db: Db, openid: str, amount: int, spend_key: str, key: str, reason: str
) -> None:
    """Return the `amount` that `spend_key` took, once; nothing if it never took any. A spend
    cut short by a crash (marker set, no ledger entry yet) is completed first."""
    if db.points_ledger.find_one({"_id": spend_key}, {"_id": 1}) is None:
        if db.users.find_one({"_id": openid, f"ops.{spend_key}": True}, {"_id": 1}) is None:
            return
        _finish(db, openid, -amount, spend_key, reason)
    award_points(db, openid, amount, key, reason, earned=False)


def _finish(db: Db, openid: str, delta: int, key: str, reason: str) -> None:
    """Write the ledger entry (a replay may have already), then lift the marker."""
    with suppress(DuplicateKeyError):
        db.points_ledger.insert_one(
            {"_id": key, "openid": openid, "delta": delta, "reason": reason, "at": utcnow()}
        )
    db.users.update_one({"_id": openid}, {"$unset": {f"ops.{key}": ""}})
