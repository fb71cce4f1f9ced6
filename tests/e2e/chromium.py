"""Headless Chromium for the console's tests: where it is, how it is launched, where the
screenshots go, and the skips (with why) when a tool is missing here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ECHARTS = ROOT / "console" / "node_modules" / "echarts" / "dist" / "echarts.min.js"
SHOTS = ROOT / ".artifacts" / "console"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def skip_without_the_console_tools() -> None:
    """At a console test module's top: skip it, saying why, without Chromium or ECharts."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            "Chromium is not installed here (scripts/ensure_chromium.sh, run by `make test`, "
            "installs Debian's chromium when it can)",
            allow_module_level=True,
        )
    if not ECHARTS.exists():
        pytest.skip("ECharts is not installed: run `make console`", allow_module_level=True)
