"""GET /console/...: the operator console's static files, as a static host would serve them
(scripts/build_console.py lays out the same files for deployment)."""

from __future__ import annotations

from pathlib import Path

from retail.common.errors import ErrorCode

from .routes import Reply, error_reply

CONSOLE = Path(__file__).resolve().parents[2] / "console"
ECHARTS = CONSOLE / "node_modules" / "echarts" / "dist" / "echarts.min.js"
FILES = {
    "": CONSOLE / "index.html",
    "index.html": CONSOLE / "index.html",
    "app.js": CONSOLE / "app.js",
    "style.css": CONSOLE / "style.css",
    "config.js": CONSOLE / "config.js",
    "vendor/echarts.min.js": ECHARTS,
}
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


def console_file(path: str) -> Reply:
    name = path.split("?", 1)[0].strip("/").removeprefix("console").strip("/")
    file = FILES.get(name)
    if file is None or not file.exists():
        hint = " (run `make console` for ECharts)" if name.startswith("vendor/") else ""
        return error_reply(ErrorCode.NOT_FOUND, f"no console file {name!r}{hint}")
    kind = TYPES[file.suffix]
    return Reply(200, file.read_bytes(), {"Content-Type": f"{kind}; charset=utf-8"})
