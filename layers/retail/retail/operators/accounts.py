"""Operator accounts: scrypt password hashes (memory-hard, in the standard library), a
lockout after repeated failures, and signed, expiring operator tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import RateLimited, Unauthenticated
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.common.tokens import issue_operator_token

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
ROLE_PATTERN = r"^(admin|service|merchant:[A-Za-z0-9_-]+)$"


class SignIn(BaseModel):
    model_config = STRICT
    operator_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=1, max_length=256)


class OperatorSession(BaseModel):
    model_config = OUT
    operator_id: str
    role: str
    token: str
    expires_in: int


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    encoded = [base64.b64encode(salt).decode(), base64.b64encode(digest).decode()]
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), *encoded])


def password_matches(password: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def create_operator(db: Any, operator_id: str, role: str, password: str) -> None:
    """Create or reset an operator (scripts/create_operator.py)."""
    db.operators.update_one(
        {"_id": operator_id},
        {
            "$set": {
                "role": role,
                "password_hash": hash_password(password),
                "failed_logins": 0,
                "locked_until": None,
                "disabled": False,
            },
            "$setOnInsert": {"created_at": utcnow()},
        },
        upsert=True,
    )


def sign_in(cmd: SignIn, *, db: Any = None) -> OperatorSession:
    """Raises Unauthenticated (unknown operator or wrong password: the same answer) or
    RateLimited while the account is locked."""
    db = db if db is not None else database()
    now = utcnow()
    account = db.operators.find_one({"_id": cmd.operator_id, "disabled": {"$ne": True}})
    if account is None:
        hash_password(cmd.password)  # same cost as a real check: no timing oracle for ids
        raise Unauthenticated("wrong operator id or password")
    if account.get("locked_until") and account["locked_until"] > now:
        wait = int((account["locked_until"] - now).total_seconds()) + 1
        raise RateLimited("too many failed sign-ins; try later", retry_after_seconds=wait)
    if not password_matches(cmd.password, account["password_hash"]):
        failed = db.operators.find_one_and_update(
            {"_id": account["_id"]}, {"$inc": {"failed_logins": 1}}, return_document=True
        )
        if failed and failed["failed_logins"] >= MAX_FAILURES:
            db.operators.update_one(
                {"_id": account["_id"]},
                {"$set": {"locked_until": now + LOCKOUT, "failed_logins": 0}},
            )
            log("operator_locked_out", "WARNING", operator_id=account["_id"])
        raise Unauthenticated("wrong operator id or password")
    db.operators.update_one(
        {"_id": account["_id"]}, {"$set": {"failed_logins": 0, "last_sign_in_at": now}}
    )
    token, ttl = issue_operator_token(account["_id"], account["role"])
    return OperatorSession(
        operator_id=account["_id"], role=account["role"], token=token, expires_in=ttl
    )
