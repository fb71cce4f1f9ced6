"""Create or reset an operator account in the store named by RETAIL_DB_URI.

    .venv/bin/python scripts/create_operator.py admin1 admin            # password from stdin
    .venv/bin/python scripts/create_operator.py shop-m1 merchant:m-self
The password is read from standard input (or RETAIL_OPERATOR_PASSWORD), never an argument.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys

from retail.common.database import database
from retail.operators import create_operator
from retail.operators.accounts import ROLE_PATTERN


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("operator_id")
    parser.add_argument("role", help="admin, service or merchant:<merchant_id>")
    args = parser.parse_args()
    if not re.fullmatch(ROLE_PATTERN, args.role):
        print("role must be admin, service or merchant:<merchant_id>", file=sys.stderr)
        return 2
    password = os.environ.get("RETAIL_OPERATOR_PASSWORD") or (
        getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    )
    if len(password) < 12:
        print("use a password of at least 12 characters", file=sys.stderr)
        return 2
    create_operator(database(), args.operator_id, args.role, password)
    print(f"operator {args.operator_id} ({args.role}) saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
