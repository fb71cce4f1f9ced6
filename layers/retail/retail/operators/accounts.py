"""Operator accounts: argon2id password hashes (operators.passwords), sign-in throttled per
account and address (operators.throttle), and signed, expiring operator tokens that stop
working within a minute of a change to the account (operators.sessions)."""

from __future__ import annotations

import secrets

from pydantic import BaseModel, Field

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import InvalidArgument, Unauthenticated
from retail.common.models import OUT, STRICT
from retail.common.operator import is_role
from retail.common.tokens import issue_operator_token
from retail.store import Db

from .passwords import hash_password, needs_rehash, password_matches
from .throttle import record_failure, record_success, take_attempt


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


def create_operator(db: Db, operator_id: str, role: str, password: str) -> None:
    """Create or reset an operator (scripts/create_operator.py). Tokens issued before are
    void within a minute (operators.sessions). Raises InvalidArgument for a role no operator
    may hold."""
    if not is_role(role):
        raise InvalidArgument(
            f"role {role!r} is none of admin, service, merchant:<merchant_id>", field="role"
        )
    db.operators.update_one(
        {"_id": operator_id},
        {
            "$set": {
                "role": role,
                "password_hash": hash_password(password),
                "disabled": False,
                "token_version": new_token_version(),
            },
            "$setOnInsert": {"created_at": utcnow(), "known_ips": []},
        },
        upsert=True,
    )


def new_token_version() -> int:
    """Random, so that no change (not even deleting the account and creating it again) can
    bring back a version an old token carries."""
    return secrets.randbits(62)


def disable_operator(db: Db, operator_id: str) -> bool:
    """Disable an account; its tokens stop working within a minute. False if none."""
    done = db.operators.update_one(
        {"_id": operator_id},
        {"$set": {"disabled": True, "token_version": new_token_version()}},
    )
    return bool(done.matched_count)


def delete_operator(db: Db, operator_id: str) -> bool:
    return bool(db.operators.delete_one({"_id": operator_id}).deleted_count)


def sign_in(cmd: SignIn, *, client_ip: str | None, db: Db | None = None) -> OperatorSession:
    """Raises Unauthenticated (unknown operator or wrong password: the same answer) or
    RateLimited while this address is throttled for this account (operators.throttle)."""
    db = db if db is not None else database()
    now = utcnow()
    account = db.operators.find_one({"_id": cmd.operator_id, "disabled": {"$ne": True}})
    take_attempt(db, cmd.operator_id, client_ip, (account or {}).get("known_ips", []), now)
    if account is None:
        hash_password(cmd.password)  # same cost as a real check: no timing oracle for ids
        record_failure(db, cmd.operator_id, now)
        raise Unauthenticated("wrong operator id or password")
    if not password_matches(cmd.password, account["password_hash"]):
        record_failure(db, account["_id"], now)
        raise Unauthenticated("wrong operator id or password")
    if not is_role(str(account.get("role"))):  # written by hand, or a role since retired
        raise Unauthenticated("this account's role is not one an operator may hold; ask an admin")
    record_success(db, account["_id"], client_ip)
    stored = account["password_hash"]
    upgrade = {"password_hash": hash_password(cmd.password)} if needs_rehash(stored) else {}
    db.operators.update_one({"_id": account["_id"]}, {"$set": {"last_sign_in_at": now, **upgrade}})
    version = int(account.get("token_version", 0))
    token, ttl = issue_operator_token(account["_id"], account["role"], version)
    return OperatorSession(
        operator_id=account["_id"], role=account["role"], token=token, expires_in=ttl
    )
