"""Which merchant's data an operator may read: admins any (all by default), a merchant only
its own, other roles none."""

from __future__ import annotations

from .errors import Forbidden
from .operator import Operator, Role

ALL = "*"


def merchant_scope(operator: Operator, requested: str | None, what: str = "this data") -> str:
    """The merchant id to read (ALL for the whole platform). Raises Forbidden."""
    if operator.kind == Role.ADMIN:
        return requested or ALL
    if operator.merchant_id is not None:
        if requested not in (None, operator.merchant_id):
            raise Forbidden(f"a merchant sees only its own {what}")
        return operator.merchant_id
    raise Forbidden(f"role {operator.role!r} may not read {what}")
