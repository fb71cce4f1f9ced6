"""Lay out the operator console as static files in dist/console/, ready for any static host
(a COS bucket with static website hosting, CloudBase static hosting, nginx).

    .venv/bin/python scripts/build_console.py [--api https://<your API gateway>/]

--api is where the operator functions answer (`<api><function name>`); the default, /http/,
is the dev gateway's own routes.
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
    args = parser.parse_args()
    files = build(args.out, args.api)
    print(f"console: {len(files)} files in {args.out}: {', '.join(files)}")


if __name__ == "__main__":
    main()
