"""Write schemas/ from the code: every function's request and response, errors, the seed file.

.venv/bin/python scripts/gen_schemas.py          # regenerate
.venv/bin/python scripts/gen_schemas.py --check  # exit 1 if schemas/ drifted from the code
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from schema_ts import declarations

from gateway.functions import FunctionRegistry
from retail.catalog import CatalogFile
from retail.common.errors import HTTP_STATUS, MEANING, REASON_CODE, REASON_MEANING, ErrorCode

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
TYPESCRIPT = ROOT / "miniprogram" / "lib" / "retail-api.d.ts"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def function_schemas() -> dict[str, dict[str, Any]]:
    """Each function's auth, request schema and answer `data` schema, by name."""
    registry = FunctionRegistry()
    found: dict[str, dict[str, Any]] = {}
    for name in sorted(registry.names):
        handler = registry.handler(name)
        request, response = handler.request_model, handler.response_model  # type: ignore[union-attr]
        found[name] = {
            "auth": handler.auth,  # type: ignore[union-attr]
            "request": request.model_json_schema(),
            "data": response.model_json_schema() if response else {},
        }
    return found


def error_schema() -> dict[str, Any]:
    return {
        "description": 'Every answer is {"code": "OK", "data": ...} or '
        '{"code": <code>, "message": "...", "details"?: {...}}; `details.reason`, when '
        "present, is one of `reasons`.",
        "codes": [
            {"code": code.value, "http_status": HTTP_STATUS[code], "meaning": MEANING[code]}
            for code in ErrorCode
        ],
        "reasons": [
            {"reason": reason.value, "code": code.value, "meaning": REASON_MEANING[reason]}
            for reason, code in REASON_CODE.items()
        ],
    }


def expected_files() -> dict[Path, str]:
    files: dict[Path, str] = {}
    functions = function_schemas()
    for name, spec in functions.items():
        files[SCHEMAS / "functions" / f"{name}.json"] = _dump(
            {
                "function": name,
                "auth": spec["auth"],
                "request": spec["request"],
                "response": {
                    "description": 'The answer is {"code": "OK", "data": <this>} or an error '
                    "envelope (see errors.json).",
                    "data": spec["data"],
                },
            }
        )
    errors = error_schema()
    files[SCHEMAS / "errors.json"] = _dump(errors)
    files[SCHEMAS / "catalog_file.json"] = _dump(CatalogFile.model_json_schema())
    files[TYPESCRIPT] = declarations(functions, errors)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    expected = expected_files()
    present = set(SCHEMAS.rglob("*.json")) if SCHEMAS.exists() else set()
    if args.check:
        drift = [
            str(p.relative_to(ROOT))
            for p, text in expected.items()
            if not p.exists() or p.read_text(encoding="utf-8") != text
        ]
        drift += [
            str(p.relative_to(SCHEMAS)) + " (no longer generated)" for p in present - set(expected)
        ]
        if drift:
            print(
                "schemas/ or its TypeScript drifted from the code; run `make schemas`:\n  "
                + "\n  ".join(drift)
            )
            return 1
        print(f"schemas/ matches the code ({len(expected)} files)")
        return 0
    for path in present - set(expected):
        path.unlink()
    for path, text in expected.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(expected)} files: schemas/ and {TYPESCRIPT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
