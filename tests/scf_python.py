"""SCF's Python (3.10) on this machine, for the tests that run what is deployed in it: the
packaged zips (tests/packaging) and the image's entry (tests/deploy/test_image_entry.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def scf_python() -> tuple[str | None, str]:
    """A Python 3.10 interpreter, or None and why there is none: a python3.10 on PATH that
    runs, else one that pyenv installed."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which("python3.10"), *map(str, sorted(pyenv.glob("3.10*/bin/python3.10")))]
    for found in filter(None, candidates):
        probe = subprocess.run(
            [found, "-c", "import sys; print(sys.version_info[:2])"],
            text=True,
            capture_output=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 10)":
            return found, ""
    return None, "no Python 3.10 here (neither python3.10 on PATH nor a pyenv 3.10 install)"


SCF_INTERPRETER, NO_SCF_INTERPRETER = scf_python()


DEVKIT = Path(__file__).resolve().parents[1] / "devkit"  # the test's own store (retail_dev)
RUN_EACH = """
import json, sys
sys.path[:0] = [{user!r}, {opt!r}, {devkit!r}]
import index, retail
assert retail.__file__.startswith({opt!r}), retail.__file__
assert not [m for m in sys.modules if m.startswith("retail_dev")], "the layer loads dev code"
for event, context in json.loads(sys.argv[1]):
    print("ANSWER " + json.dumps(index.main_handler(event, context), ensure_ascii=False))
"""


def packaged_answers(
    user: Path, opt: Path, calls: list[list[Any]], env: dict[str, str]
) -> list[dict[str, Any]]:
    """What a packaged function answers to each (event, context) of `calls`, as SCF's Python
    runtime runs it: its index.py in `user` (/var/user), the layers in `opt` (/opt), in SCF's
    Python where one is here, without site-packages (-S) or PYTHON* variables (-E), the
    repository not the working directory; the layer must load no development code."""
    result = subprocess.run(
        [
            SCF_INTERPRETER or sys.executable,
            "-S",
            "-E",
            "-c",
            RUN_EACH.format(user=str(user), opt=str(opt), devkit=str(DEVKIT)),
            json.dumps(calls),
        ],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line[7:]) for line in result.stdout.splitlines() if line[:7] == "ANSWER "]
    assert len(answers) == len(calls), result.stdout
    return answers
