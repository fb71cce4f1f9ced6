"""Create every index of infra/indexes.json in the store named by RETAIL_DB_URI (idempotent).

.venv/bin/python scripts/init_db.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from retail.common.database import database
from retail.store.indexes import apply_indexes

SPEC = Path(__file__).resolve().parents[1] / "infra" / "indexes.json"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.parse_args()
    names = apply_indexes(database(), json.loads(SPEC.read_text(encoding="utf-8")))
    print(f"{len(names)} indexes in place")
    return 0


if __name__ == "__main__":
    sys.exit(main())
