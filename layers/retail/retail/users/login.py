"""Signing in: record the user (first and last seen, entry scene) and, over HTTP, issue a
session token after WeChat's code2session."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.adapters.wechat import WeChatApi, wechat_api
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Unauthenticated, found
from retail.common.models import OUT
from retail.common.tokens import issue_session_token
from retail.store import Db, upserted

from .models import STRICT, UserProfile
from .visitors import first_seen_fields, note_entry_scene


class Login(BaseModel):
    model_config = STRICT

    code: str | None = Field(
        None, min_length=1, max_length=128, description="wx.login code; needed only over HTTP"
    )
    scene: int | None = Field(None, ge=1000, le=9999, description="mini-program entry scene")


class LoginAnswer(BaseModel):
    model_config = OUT

    user: UserProfile
    session_token: str | None = None
    expires_in: int | None = None


def login(
    cmd: Login,
    *,
    openid: str | None,
    appid: str | None = None,
    unionid: str | None = None,
    db: Db | None = None,
    wechat: WeChatApi | None = None,
) -> LoginAnswer:
    """Sign the caller in. With a platform identity (CloudBase) no code is needed; otherwise
    the code is exchanged with WeChat and a session token is issued. Raises Unauthenticated."""
    db = db if db is not None else database()
    session_key = None
    token = ttl = None
    if openid is None:
        if cmd.code is None:
            raise Unauthenticated("log in with a wx.login code")
        session = (wechat or wechat_api()).code2session(cmd.code)
        openid, unionid, session_key = session.openid, session.unionid, session.session_key
        token, ttl = issue_session_token(openid)
    doc = record_visit(
        db, openid, appid=appid, unionid=unionid, session_key=session_key, scene=cmd.scene
    )
    return LoginAnswer(user=UserProfile.from_doc(doc), session_token=token, expires_in=ttl)


def record_visit(db: Db, openid: str, **facts: Any) -> dict[str, Any]:
    """Upsert the user: first-seen facts once, last-seen facts every time, and the entry
    scene the first time one is known (a user noted by an earlier call has none yet)."""
    now = utcnow()
    latest = {
        k: v
        for k, v in {
            "appid": facts.get("appid"),
            "unionid": facts.get("unionid"),
            "session_key": facts.get("session_key"),
            "last_scene": facts.get("scene"),
        }.items()
        if v is not None
    }
    update = {
        "$set": {"last_seen_at": now, **latest},
        "$inc": {"login_count": 1},
        "$setOnInsert": {**first_seen_fields(), "entry_scene": facts.get("scene")},
    }
    doc = _upsert(db, openid, update)
    if facts.get("scene") is not None and doc.get("entry_scene") is None:
        noted = note_entry_scene(
            db, openid, facts["scene"], appid=facts.get("appid"), unionid=facts.get("unionid")
        )
        doc = noted or found(db.users.find_one({"_id": openid}), "user")
    return doc


def _upsert(db: Db, openid: str, update: dict[str, Any]) -> dict[str, Any]:
    for attempt in range(2):
        try:
            doc = upserted(
                db.users.find_one_and_update(
                    {"_id": openid}, update, upsert=True, return_document=ReturnDocument.AFTER
                )
            )
            return doc
        except DuplicateKeyError:  # two first logins raced to insert; the loser updates
            if attempt:
                raise
    raise AssertionError("unreachable")
