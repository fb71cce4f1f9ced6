"""SCF's Python (3.10) on this machine, for the tests that run what is deployed in it: the
packaged zips (tests/packaging) and the image's entry (tests/deploy/test_image_entry.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


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
