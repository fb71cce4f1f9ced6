"""Lay out the operator console as static files in dist/console/, ready for any static host
(a COS bucket with static website hosting, CloudBase static hosting, nginx).

    .venv/bin/python scripts/build_console.py [--api https://<your API gateway>/]
    .venv/bin/python scripts/build_console.py --bundle   # console/src/*.js -> console/app.js

--api is where the operator functions answer (`<api><function name>`); the default, /http/,
is the dev gateway's own routes. The console's code is written in console/src/ (one file per
area) and served as one app.js, in SOURCES order; a test fails when app.js is out of date.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = ROOT / "console"
ECHARTS = CONSOLE / "node_modules" / "echarts" / "dist" / "echarts.min.js"
SOURCES = ("lib.js", "reports.js", "shop.js", "catalog.js", "service.js", "main.js")
BUNDLE_HEADER = (
    "// Built by `make console` (scripts/build_console.py --bundle) from console/src/: "
    "edit those files.\n"
)


def bundle() -> str:
    """app.js: the source files of console/src/ one after another, as one classic script."""
    parts = [f"// --- src/{name}\n" + (CONSOLE / "src" / name).read_text() for name in SOURCES]
    return BUNDLE_HEADER + "\n".join(parts)


def build(out: Path, api: str) -> list[str]:
    if not ECHARTS.exists():
        sys.exit("ECharts is missing: run `make console` first")
    if out.exists():
        shutil.rmtree(out)
    (out / "vendor").mkdir(parents=True)
    for name in ("index.html", "app.js", "style.css"):
        shutil.copy2(CONSOLE / name, out / name)
    shutil.copy2(ECHARTS, out / "vendor" / "echarts.min.js")
    (out / "config.js").write_text(f"window.RETAIL_API = {json.dumps(api)};\n", encoding="utf-8")
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--api", default="/http/")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "console")
    parser.add_argument("--bundle", action="store_true", help="only write console/app.js")
    args = parser.parse_args()
    if args.bundle:
        (CONSOLE / "app.js").write_text(bundle(), encoding="utf-8")
        print(f"console/app.js from {len(SOURCES)} files of console/src/")
        return
    files = build(args.out, args.api)
    print(f"console: {len(files)} files in {args.out}: {', '.join(files)}")


if __name__ == "__main__":
    main()
