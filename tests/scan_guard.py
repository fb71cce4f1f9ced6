"""The scan guard: a test fails when production code reads a collection without an index.

The embedded engine reports each collection scan (retail.store.embedded.scans); a scan asked
for by the project's code (the layer, the functions, the dev gateway) on a collection that is
not a small fixed one fails the test that made it, naming the query's shape and its callers.
A test's own look at the store (`db.orders.find({})` to check a result) is not guarded.
"""

from __future__ import annotations

import json
from pathlib import Path

from retail.store.embedded.scans import Scan

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = tuple(
    str(ROOT / part) for part in ("layers/retail/retail", "functions", "scripts/gateway")
)

# Collections whose size does not grow with the shop's history, read whole on purpose: the
# catalogue and its configuration (as many documents as an operator lists, read by browse and
# rebuilds), and the rate windows, which live for their two minutes only (a TTL index).
SMALL_AND_FIXED = frozenset(
    {
        "settings",
        "categories",
        "products",
        "recommendations",
        "merchants",
        "stores",
        "coupon_templates",
        "ad_slots",
        "experiments",
        "flags",
        "rate_windows",
    }
)

# Code that ships but reads everything by design, never on a user's or a timer's path.
WHOLE_STORE_READERS = (
    "layers/retail/retail/inventory/audit.py",  # the books' audit: every order and stock line
    "layers/retail/retail/payments/sandbox.py",  # WeChat Pay's stand-in, never in production
    # The daily rescore of every customer row: the table is that timer's work (bench/ measures
    # it per customer); the hourly refresh reads only the buyers whose orders changed.
    "layers/retail/retail/analytics/customers.py",
)


def by_production_code(scan: Scan) -> bool:
    """Whether the first frame outside the engine belongs to code that ships and runs."""
    if not scan.callers or not scan.callers[0].startswith(PRODUCTION):
        return False
    return not scan.callers[0].startswith(tuple(str(ROOT / p) for p in WHOLE_STORE_READERS))


def offending(scans: list[Scan]) -> list[Scan]:
    return [
        scan
        for scan in scans
        if scan.collection not in SMALL_AND_FIXED and by_production_code(scan)
    ]


def describe(scans: list[Scan]) -> str:
    lines = []
    for scan in scans:
        callers = " <- ".join(c.replace(str(ROOT) + "/", "") for c in scan.callers)
        lines.append(f"{scan.collection} {scan.shape}: {callers}")
    return "queries no index serves:\n" + "\n".join(sorted(set(lines)))


def scans_logged(log: str) -> list[Scan]:
    """The scans a process reported in its JSON log (retail.common.database logs each)."""
    scans = []
    for line in log.splitlines():
        if '"collection_scan"' in line:
            entry = json.loads(line)
            scans.append(Scan(entry["collection"], entry["shape"], tuple(entry["callers"])))
    return scans
