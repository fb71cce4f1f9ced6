"""Create every index of infra/indexes.json in the store named by RETAIL_DB_URI (idempotent;
an index held with other options is replaced), or with --check list those it lacks.

.venv/bin/python scripts/init_db.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from retail.common.database import database
from retail.store.indexes import apply_indexes, extra_indexes, missing_indexes

SPEC = Path(__file__).resolve().parents[1] / "infra" / "indexes.json"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only list the indexes the store lacks or holds beyond the file (exit 1 if any)",
    )
    args = parser.parse_args()
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    if args.check:
        lacking = missing_indexes(database(), spec)
        extra = extra_indexes(database(), spec)
        for index in lacking:
            print(f"missing {index}")
        for collection, name in extra:
            print(f"not in infra/indexes.json (init_db drops it): {collection}.{name}")
        print(f"{len(lacking)} indexes missing" if lacking else "every index in place")
        return 1 if lacking or extra else 0
    names = apply_indexes(database(), spec)
    print(f"{len(names)} indexes in place")
    return 0


if __name__ == "__main__":
    sys.exit(main())
