"""Which merchant's data an operator may read: admins any (all by default), a merchant only
its own, other roles none."""

from __future__ import annotations

from typing import Any

from .errors import Forbidden

ALL = "*"


def merchant_scope(operator: Any, requested: str | None, what: str = "this data") -> str:
    """The merchant id to read (ALL for the whole platform). Raises Forbidden."""
    base = operator.role.split(":", 1)[0]
    if base == "admin":
        return requested or ALL
    if base == "merchant":
        if requested not in (None, operator.merchant_id):
            raise Forbidden(f"a merchant sees only its own {what}")
        return str(operator.merchant_id)
    raise Forbidden(f"role {operator.role!r} may not read {what}")
