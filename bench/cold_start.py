"""Cold start: each function's import time in a fresh interpreter, beside `import pydantic,
pymongo` measured the same way, interleaved with it (medians of --runs fresh processes of
each, so drift in the machine's state over the run affects both sides alike).

A function opens its store on first use, so its import alone may not load pymongo yet; to
compare like with like, each function is timed as `import index` followed by `import pymongo`
(free when already loaded), i.e. with the same libraries loaded as the baseline.

`import pydantic` alone defers pydantic's model machinery (pydantic-core, schema generation)
until a model is defined, which every function does for its request; the last column is
therefore the same baseline with one model defined, the share of the import that is ours.

The times are medians; each ratio is the median of the ratios run by run, so it need not be
the quotient of the two median times beside it.

    .venv/bin/python bench/cold_start.py [--runs 7] [--only user_me order_place ...]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]

BASELINE = (
    "import time; t = time.perf_counter(); import pydantic, pymongo; print(time.perf_counter() - t)"
)
MODEL_BASELINE = (
    "import time; t = time.perf_counter(); import pydantic, pymongo\n"
    "class Request(pydantic.BaseModel):\n    x: int\n"
    "Request(x=1); print(time.perf_counter() - t)"
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


class Paired(NamedTuple):
    """Medians of the times (ms) and of the ratios run by run."""

    took: float
    baseline: float
    with_model: float
    ratio: float  # the function / the baseline
    model_ratio: float  # the function / the baseline with a model
    model_cost: float  # the baseline with a model / the baseline


def paired(code: str, runs: int) -> Paired:
    """Each run times the baseline, the code and the model baseline in turn, so a ratio
    compares processes a fraction of a second apart, and the host's slow and fast spells (the
    baseline moved 1.6x within one run on this shared machine) cancel instead of landing on
    one side."""
    took, base, model = [], [], []
    for _ in range(runs):
        base.append(once_ms(BASELINE))
        took.append(once_ms(code))
        model.append(once_ms(MODEL_BASELINE))
    return Paired(
        statistics.median(took),
        statistics.median(base),
        statistics.median(model),
        statistics.median(t / b for t, b in zip(took, base, strict=True)),
        statistics.median(t / m for t, m in zip(took, model, strict=True)),
        statistics.median(m / b for m, b in zip(model, base, strict=True)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", nargs="+", metavar="FUNCTION", help="time these functions only")
    args = parser.parse_args()
    ratios, model_ratios, machinery = [], [], []
    print(f"{'function':28s} {'import':>9s} {'baseline':>9s}  ratio  {'+ a model':>9s}  ratio")
    for path in sorted((ROOT / "functions").glob("*/index.py")):
        if args.only and path.parent.name not in args.only:
            continue
        found = paired(FUNCTION.format(path=str(path)), args.runs)
        machinery.append(found.model_cost)
        ratios.append(found.ratio)
        model_ratios.append(found.model_ratio)
        print(
            f"{path.parent.name:28s} {found.took:6.1f} ms {found.baseline:6.1f} ms"
            f"  {found.ratio:.2f}x  {found.with_model:6.1f} ms  {found.model_ratio:.2f}x"
        )
    for name, found in (("baseline", ratios), ("baseline with a model", model_ratios)):
        within = sum(r <= 1.2 for r in found)
        print(
            f"against the {name}: best {min(found):.2f}x, median {statistics.median(found):.2f}x,"
            f" worst {max(found):.2f}x; {within} of {len(found)} within 1.20x"
        )
    print(
        f"the baseline with a model / the baseline: median {statistics.median(machinery):.2f}x"
        " (what defining any pydantic model costs before a line of ours runs)"
    )


if __name__ == "__main__":
    main()
