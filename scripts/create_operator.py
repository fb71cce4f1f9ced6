"""Create, reset, disable or delete an operator account in the store named by RETAIL_DB_URI.

    .venv/bin/python scripts/create_operator.py admin1 admin            # password from stdin
    .venv/bin/python scripts/create_operator.py shop-m1 merchant:m-self
    .venv/bin/python scripts/create_operator.py shop-m1 --disable
    .venv/bin/python scripts/create_operator.py shop-m1 --delete
The password is read from standard input (or RETAIL_OPERATOR_PASSWORD), never an argument.
Saving with another role demotes or promotes; tokens issued before any change stop working
within a minute.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys

from retail.common.database import database
from retail.common.operator import ROLE_PATTERN
from retail.operators import create_operator, delete_operator, disable_operator


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("operator_id")
    parser.add_argument("role", nargs="?", help="admin, service or merchant:<merchant_id>")
    change = parser.add_mutually_exclusive_group()
    change.add_argument("--disable", action="store_true", help="disable the account")
    change.add_argument("--delete", action="store_true", help="delete the account")
    args = parser.parse_args()
    if args.disable or args.delete:
        act = disable_operator if args.disable else delete_operator
        if not act(database(), args.operator_id):
            print(f"no operator {args.operator_id}", file=sys.stderr)
            return 1
        print(f"operator {args.operator_id} {'disabled' if args.disable else 'deleted'}")
        return 0
    if not args.role or not re.fullmatch(ROLE_PATTERN, args.role):
        print("role must be admin, service or merchant:<merchant_id>", file=sys.stderr)
        return 2
    db = database()
    merchant = args.role.split(":", 1)[1] if args.role.startswith("merchant:") else None
    if merchant and db.merchants.find_one({"_id": merchant}, {"_id": 1}) is None:
        print(
            f"no merchant {merchant} in the store: load it first (scripts/seed.py)", file=sys.stderr
        )
        return 2
    password = os.environ.get("RETAIL_OPERATOR_PASSWORD") or (
        getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    )
    if not password:
        print(
            "no password given: type it, pipe it in, or set RETAIL_OPERATOR_PASSWORD",
            file=sys.stderr,
        )
        return 2
    if len(password) < 12:
        print("use a password of at least 12 characters", file=sys.stderr)
        return 2
    existed = db.operators.find_one({"_id": args.operator_id}, {"_id": 1}) is not None
    create_operator(db, args.operator_id, args.role, password)
    what = "password and role reset" if existed else "created"
    print(f"operator {args.operator_id} ({args.role}) {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
