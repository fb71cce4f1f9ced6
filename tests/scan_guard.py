"""The scan guard: a test fails when production code reads a collection without an index.

The embedded engine reports each collection scan (retail_dev.embedded.scans); a scan asked
for by the project's code (the layer, the functions, the dev gateway) on a collection that is
not a small fixed one fails the test that made it, naming the query's shape and its callers.
A test's own look at the store (`db.orders.find({})` to check a result) is not guarded.
"""

from __future__ import annotations

import json
from pathlib import Path

from retail_dev.embedded.scans import Scan

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

# Code that ships but reads everything by design, never on a user's or a timer's path:
# (file, function), the function None for the whole file.
WHOLE_STORE_READERS = (
    ("layers/retail/retail/inventory/audit.py", None),  # the books' audit: every order, stock
    ("layers/retail/retail/store/indexes.py", "apply_indexes"),  # building an index reads all
    # The customer table's daily rescore of every row, and its first run on a shop: the table
    # is that work; the hourly refresh reads only the buyers whose orders changed.
    ("layers/retail/retail/analytics/customers.py", "_rescore"),
    ("layers/retail/retail/analytics/customers.py", "_everyone"),
)


def by_production_code(scan: Scan) -> bool:
    """Whether the first frame outside the engine belongs to code that ships and runs."""
    if not scan.callers or not scan.callers[0].startswith(PRODUCTION):
        return False
    named = [c for c in scan.callers if not c.partition(" ")[2].startswith("<")]  # no <genexpr>
    place, _, function = (named or scan.callers)[0].partition(" ")
    return not any(
        place.startswith(str(ROOT / path)) and (name is None or function == name)
        for path, name in WHOLE_STORE_READERS
    )


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
