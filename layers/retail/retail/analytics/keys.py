"""Users appear in aggregates only as pseudonymous keys: the keyed pseudonym of the openid
(common.pseudonyms), so an aggregate kept after a user's erasure cannot be linked back by
anyone who holds only the openid."""

from __future__ import annotations

from retail.common.pseudonyms import pseudonym


def user_key(openid: str) -> str:
    return pseudonym(openid)[1:17]
