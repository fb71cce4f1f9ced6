"""Every caller the platform names is a user from its first call, whatever that call is.

A mini-program cannot make `user_login` finish before its other calls (a shared link opens
`share_reward` first; a buyer can order before the login round trip returns), so the runtime
notes each platform identity before the function runs: the user document is created once,
with the same first-seen facts `user_login` would write, and never changed here again but for
the entry scene, which the first call that carries one fills in.
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import suppress
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.store import Db

KNOWN_LIMIT = 50_000  # openids remembered per warm instance: one upsert each, then none
_known: OrderedDict[str, None] = OrderedDict()
_scene_known: OrderedDict[str, None] = OrderedDict()  # openids whose entry scene is written


def first_seen_fields() -> dict[str, Any]:
    """What a new user starts with (user_login writes the same on its first visit)."""
    return {"first_seen_at": utcnow(), "points": 0, "level": 1, "growth": 0}


def note_visitor(db: Db, openid: str, *, appid: str | None, unionid: str | None) -> None:
    """Make `openid` a user if it is not one yet: a read for a known user (once per warm
    instance), an upsert that only inserts for a new one."""
    if openid in _known:
        _known.move_to_end(openid)
        return
    if db.users.find_one({"_id": openid}, {"_id": 1}) is not None:
        _remember(_known, openid)
        return
    now = utcnow()
    insert = {**first_seen_fields(), "last_seen_at": now, "entry_scene": None, "login_count": 0}
    insert.update({k: v for k, v in {"appid": appid, "unionid": unionid}.items() if v})
    with suppress(DuplicateKeyError):  # a concurrent first call inserted it: a user anyway
        db.users.update_one({"_id": openid}, {"$setOnInsert": insert}, upsert=True)
    _remember(_known, openid)


def note_entry_scene(
    db: Db, openid: str, scene: int | None, *, appid: str | None, unionid: str | None
) -> dict[str, Any] | None:
    """The first scene a user is known to have arrived through (a share card, a QR code, the
    search list ...), from whichever call first carries one (user_login, track); never
    changed afterwards. A caller not yet a user becomes one first, exactly as the runtime
    would make it one (note_visitor). Returns the user when the scene was written."""
    if scene is None or openid in _scene_known:
        return None
    note_visitor(db, openid, appid=appid, unionid=unionid)
    noted: dict[str, Any] | None = db.users.find_one_and_update(
        {"_id": openid, "entry_scene": None},
        {"$set": {"entry_scene": scene}},
        return_document=ReturnDocument.AFTER,
    )
    _remember(_scene_known, openid)
    return noted


def _remember(known: OrderedDict[str, None], openid: str) -> None:
    known[openid] = None
    if len(known) > KNOWN_LIMIT:
        known.popitem(last=False)


def forget_visitor(openid: str) -> None:
    """After erasure: the next call of this openid is a new user's."""
    _known.pop(openid, None)
    _scene_known.pop(openid, None)


def forget_visitors() -> None:
    """Tests give each case a fresh store."""
    _known.clear()
    _scene_known.clear()
