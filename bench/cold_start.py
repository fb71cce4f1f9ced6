"""Cold start: each function's import time in a fresh interpreter, beside `import pydantic,
pymongo` measured the same way in the same run (medians of --runs fresh processes).

A function opens its store on first use, so its import alone may not load pymongo yet; to
compare like with like, each function is timed as `import index` followed by `import pymongo`
(free when already loaded), i.e. with the same libraries loaded as the baseline.

    .venv/bin/python bench/cold_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BASELINE = (
    "import time; t = time.perf_counter(); import pydantic, pymongo; print(time.perf_counter() - t)"
)
FUNCTION = (
    "import importlib.util, time; t = time.perf_counter(); "
    "spec = importlib.util.spec_from_file_location('index', {path!r}); "
    "spec.loader.exec_module(importlib.util.module_from_spec(spec)); "
    "import pymongo; print(time.perf_counter() - t)"
)


def median_ms(code: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        samples.append(float(out.stdout) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    baseline = median_ms(BASELINE, args.runs)
    print(f"{'import pydantic, pymongo':28s} {baseline:7.1f} ms   1.00x")
    worst = 0.0
    for path in sorted((ROOT / "functions").glob("*/index.py")):
        took = median_ms(FUNCTION.format(path=str(path)), args.runs)
        worst = max(worst, took / baseline)
        print(f"{path.parent.name:28s} {took:7.1f} ms   {took / baseline:.2f}x")
    print(f"worst ratio: {worst:.2f}x (target <= 1.20x)")


if __name__ == "__main__":
    main()
