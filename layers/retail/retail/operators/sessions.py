"""Operator tokens follow their account: a disabled, deleted, demoted or reset account's
tokens stop working within CHECK_EVERY_SECONDS, though each token is valid for a working day.
Every change to an account bumps its token version; a token carries the version it was
issued under.

Each warm instance checks an operator's account at most once per CHECK_EVERY, so an operator
call costs one small read a minute, not one per call.
"""

from __future__ import annotations

import time
from typing import Any

from retail.common.database import database
from retail.common.errors import Unauthenticated
from retail.common.operator import Operator
from retail.store import Db

CHECK_EVERY_SECONDS = 30.0  # half the minute the guarantee allows
_checked: dict[tuple[str, str, int], float] = {}


def _clock() -> float:
    return time.monotonic()


def confirm_operator(operator: Operator, *, db: Db | None = None) -> None:
    """Raises Unauthenticated unless the account that signed `operator`'s token in still
    exists, is enabled, has the token's role and was not changed since the token was issued."""
    version = -1 if operator.token_version is None else operator.token_version  # never valid
    key = (operator.operator_id, operator.role, version)
    clock = _clock()
    if clock < _checked.get(key, float("-inf")):
        return
    db = db if db is not None else database()
    account = db.operators.find_one(
        {"_id": operator.operator_id}, {"role": 1, "disabled": 1, "token_version": 1}
    )
    if not _still_valid(account, operator.role, version):
        _checked.pop(key, None)
        raise Unauthenticated("this operator session is no longer valid; sign in again")
    if len(_checked) > 10_000:  # a long-lived instance: old tokens' entries go
        _checked.clear()
    _checked[key] = clock + CHECK_EVERY_SECONDS


def _still_valid(account: dict[str, Any] | None, role: str, version: int) -> bool:
    if account is None or account.get("disabled") or account.get("role") != role:
        return False
    return bool(account.get("token_version", 0) == version)


def forget_confirmed() -> None:
    """Tests give each case a fresh store."""
    _checked.clear()
