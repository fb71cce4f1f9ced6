"""Load a catalogue file into the store named by RETAIL_DB_URI (validated whole; upsert).

.venv/bin/python scripts/seed.py infra/seed/demo.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from retail.catalog import load_catalog
from retail.common.database import database
from retail.common.errors import InvalidArgument


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("file", type=Path)
    args = parser.parse_args()
    try:
        raw = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        counts = load_catalog(raw, database())
    except InvalidArgument as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print("loaded " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
