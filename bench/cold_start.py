"""Cold start: each function's import time in a fresh interpreter, beside `import pydantic,
pymongo` measured the same way, interleaved with it (medians of --runs fresh processes of
each, so drift in the machine's state over the run affects both sides alike).

A function opens its store on first use, so its import alone may not load pymongo yet; to
compare like with like, each function is timed as `import index` followed by `import pymongo`
(free when already loaded), i.e. with the same libraries loaded as the baseline.

    .venv/bin/python bench/cold_start.py [--runs 7] [--only user_me order_place ...]
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


def once_ms(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout) * 1000


def paired_ms(code: str, runs: int) -> tuple[float, float]:
    """Medians of (the code, the baseline), their runs taken in turn."""
    took, base = [], []
    for _ in range(runs):
        took.append(once_ms(code))
        base.append(once_ms(BASELINE))
    return statistics.median(took), statistics.median(base)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", nargs="+", metavar="FUNCTION", help="time these functions only")
    args = parser.parse_args()
    ratios = []
    print(f"{'function':28s} {'import':>9s} {'baseline':>9s}  ratio")
    for path in sorted((ROOT / "functions").glob("*/index.py")):
        if args.only and path.parent.name not in args.only:
            continue
        took, baseline = paired_ms(FUNCTION.format(path=str(path)), args.runs)
        ratios.append(took / baseline)
        print(f"{path.parent.name:28s} {took:6.1f} ms {baseline:6.1f} ms  {took / baseline:.2f}x")
    within = sum(r <= 1.2 for r in ratios)
    print(
        f"ratios: best {min(ratios):.2f}x, median {statistics.median(ratios):.2f}x, "
        f"worst {max(ratios):.2f}x; {within} of {len(ratios)} within the 1.20x target"
    )


if __name__ == "__main__":
    main()
