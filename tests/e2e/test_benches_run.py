"""The benches run, at tiny sizes (their figures belong to the benches, not to a test): two of
them once stopped for days on code that moved, unseen because nothing ran them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^(\w+)\s+[\d.]+\s+[\d.]+\s+[\d.]+x  (.*)$")


def run_bench(directory: Path, bench: str, sizes: list[str]) -> subprocess.CompletedProcess[str]:
    """The bench run as printed in README, at these sizes; it must finish cleanly."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / bench), *sizes],
        env={**os.environ, "RETAIL_LOG_LEVEL": "WARNING"},
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_history_bench_plays_every_call_on_both_shops(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from history_bench import TIMERS

    sizes = ["--orders", "400", "--events", "1000", "--users", "200", "--rounds", "1"]
    done = run_bench(tmp_path, "history_bench.py", sizes)
    rows = dict(m.groups() for m in map(ROW.match, done.stdout.splitlines()) if m)
    assert set(TIMERS) <= set(rows) and len(rows) > len(TIMERS) + 40, done.stdout
    assert not [name for name, note in rows.items() if note.startswith("answers differ")]
    assert "worst ratio" in done.stdout


@pytest.mark.parametrize(
    ("bench", "sizes", "last"),
    [
        (
            "analytics_bench.py",
            ["--events", "3000", "--orders", "300", "--users", "200"],
            "slowest",
        ),
        ("settlement_bench.py", ["--lines", "600", "--next-day", "30"], "the next day"),
        ("lapsed_bench.py", ["--users", "200"], "second run"),
    ],
)
def test_a_bench_runs_to_its_figures(tmp_path, bench, sizes, last):
    done = run_bench(tmp_path, bench, sizes)
    assert done.stdout.splitlines()[-1].startswith(last), done.stdout
