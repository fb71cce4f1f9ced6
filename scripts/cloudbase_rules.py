"""Write infra/cloudbase-function-rules.json: CloudBase's function security rules, so that
the mini-program (and any CloudBase client) can call only the functions meant for it.

.venv/bin/python scripts/cloudbase_rules.py          # regenerate (make schemas does it too)
.venv/bin/python scripts/cloudbase_rules.py --check  # exit 1 if the file drifted from the code

CloudBase applies these to client `callFunction` calls only; timers, HTTP triggers (function
URLs) and the management API are outside them (docs/decisions/0010-trust-boundaries.md). So
every timer, webhook and operator function (operator_login too) is `"invoke": false` for
clients, while its timer or function URL keeps working; the runtime refuses such calls as
well, whatever the rules say.
Paste the file into the CloudBase console (云函数 -> 权限控制) after each deploy that adds a
function: CloudBase has no documented API or CLI command to set them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gateway.functions import FunctionRegistry

RULES = Path(__file__).resolve().parents[1] / "infra" / "cloudbase-function-rules.json"
NOT_FOR_CLIENTS = {"timer", "webhook", "sign_in", "operator"}


def expected_rules() -> str:
    registry = FunctionRegistry()
    rules: dict[str, dict[str, object]] = {"*": {"invoke": "auth != null"}}
    for name in sorted(registry.names):
        handler = registry.handler(name)
        if getattr(handler, "auth", None) in NOT_FOR_CLIENTS:
            rules[name] = {"invoke": False}
    return json.dumps(rules, ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    expected = expected_rules()
    if args.check:
        if not RULES.exists() or RULES.read_text(encoding="utf-8") != expected:
            print(f"{RULES.name} drifted from the functions' auth; run `make schemas`")
            return 1
        print(f"{RULES.name} matches the functions' auth")
        return 0
    RULES.write_text(expected, encoding="utf-8")
    print(f"wrote {RULES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
