"""The caller's address, as the platform saw it, in one canonical spelling.

Rate limits and the blacklist compare addresses as strings, so `1.2.3.4 `, `::ffff:1.2.3.4`
and `1.2.3.4` must be one key. Forwarded headers are written by whoever sends the request;
they are believed only through as many proxy hops as the operator says are theirs.
"""

from __future__ import annotations

import ipaddress


def normalise_ip(text: str | None) -> str | None:
    """The canonical form of an IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4), or None
    for anything that is not one address."""
    if not text:
        return None
    candidate = text.strip()
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def client_ip(peer: str | None, forwarded_for: str | None, trusted_hops: int) -> str | None:
    """The client's address: `peer` (what the platform saw), or, behind `trusted_hops`
    proxies of our own, the address the farthest of them received the request from.

    Each proxy appends the address it was called from to X-Forwarded-For, so with N trusted
    hops in front of the platform the client is entry N+1 from the right of
    `forwarded_for + [peer]`; anything further left was written by the caller and ignored.
    """
    if trusted_hops <= 0 or not forwarded_for:
        return normalise_ip(peer)
    chain = _chain(peer, forwarded_for)
    if len(chain) <= trusted_hops:
        return normalise_ip(chain[0]) if chain else None
    return normalise_ip(chain[-(trusted_hops + 1)])


def unbelieved_forwards(peer: str | None, forwarded_for: str | None, trusted_hops: int) -> int:
    """How many X-Forwarded-For entries left of the trusted hops name an address other than
    the client's: written by the caller to pass for someone else (a proxy of the platform's
    that repeats the client's own address is no lie)."""
    if not forwarded_for:
        return 0
    written = _chain(peer, forwarded_for)[: -(trusted_hops + 1)]
    believed = client_ip(peer, forwarded_for, trusted_hops)
    return sum(normalise_ip(entry) != believed for entry in written)


def _chain(peer: str | None, forwarded_for: str) -> list[str]:
    chain = [part for part in forwarded_for.split(",") if part.strip()]
    return [*chain, peer] if peer else chain
