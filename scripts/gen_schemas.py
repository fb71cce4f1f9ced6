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

from gateway.functions import FunctionRegistry
from retail.catalog import CatalogFile
from retail.common.errors import HTTP_STATUS, MEANING, ErrorCode

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def expected_files() -> dict[Path, str]:
    files: dict[Path, str] = {}
    registry = FunctionRegistry()
    for name in sorted(registry.names):
        handler = registry.handler(name)
        request, response = handler.request_model, handler.response_model  # type: ignore[union-attr]
        files[SCHEMAS / "functions" / f"{name}.json"] = _dump(
            {
                "function": name,
                "auth": handler.auth,  # type: ignore[union-attr]
                "request": request.model_json_schema(),
                "response": {
                    "description": 'The answer is {"code": "OK", "data": <this>} or an error '
                    "envelope (see errors.json).",
                    "data": response.model_json_schema() if response else {},
                },
            }
        )
    files[SCHEMAS / "errors.json"] = _dump(
        {
            "description": 'Every answer is {"code": "OK", "data": ...} or '
            '{"code": <code>, "message": "...", "details"?: {...}}.',
            "codes": [
                {"code": code.value, "http_status": HTTP_STATUS[code], "meaning": MEANING[code]}
                for code in ErrorCode
            ],
        }
    )
    files[SCHEMAS / "catalog_file.json"] = _dump(CatalogFile.model_json_schema())
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
            str(p.relative_to(SCHEMAS))
            for p, text in expected.items()
            if not p.exists() or p.read_text(encoding="utf-8") != text
        ]
        drift += [
            str(p.relative_to(SCHEMAS)) + " (no longer generated)" for p in present - set(expected)
        ]
        if drift:
            print("schemas/ drifted from the code; run `make schemas`:\n  " + "\n  ".join(drift))
            return 1
        print(f"schemas/ matches the code ({len(expected)} files)")
        return 0
    for path in present - set(expected):
        path.unlink()
    for path, text in expected.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(expected)} schema files under schemas/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
