"""Who an operator is, parsed once where the call is authenticated (core.identity), so no
business module reads a role string apart: the kind of role, and for a merchant's operator
the merchant it acts for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import Forbidden
from .vocabulary import Word


class Role(Word):
    ADMIN = "admin"
    SERVICE = "service"  # customer service: personal data masked
    MERCHANT = "merchant"  # stored as merchant:<merchant_id>


@dataclass(frozen=True)
class Operator:
    operator_id: str
    role: str  # as stored and logged: "admin", "service" or "merchant:<merchant_id>"
    token_version: int | None = None  # of the sign-in token; None for the dev gateway header
    kind: Role = field(init=False)
    merchant_id: str | None = field(init=False)

    def __post_init__(self) -> None:
        kind, _, merchant_id = self.role.partition(":")
        object.__setattr__(self, "kind", Role(kind))
        object.__setattr__(
            self, "merchant_id", merchant_id if kind == Role.MERCHANT and merchant_id else None
        )

    def is_one_of(self, *kinds: Role) -> bool:
        return self.kind in kinds

    def manages(self, merchant_id: str) -> bool:
        """An admin manages every merchant's goods; a merchant's operator only its own."""
        return self.kind == Role.ADMIN or self.merchant_id == merchant_id

    def require(self, *kinds: Role, what: str = "do this") -> None:
        """Raises Forbidden unless the operator's role is one of `kinds`."""
        if self.kind not in kinds:
            raise Forbidden(f"role {self.role!r} may not {what}")


# A merchant id as the catalogue writes one: never "*" (a merchant's scope is ALL for "*").
ROLE_PATTERN = r"^(admin|service|merchant:[A-Za-z0-9_-]+)$"


def is_role(role: str) -> bool:
    """Whether `role` is one an operator account may hold."""
    return re.fullmatch(ROLE_PATTERN, role) is not None
