"""Finding and loading the cloud functions in functions/<name>/index.py."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
Handler = Callable[[Any, Any], Any]


def function_names(root: Path = FUNCTIONS_DIR) -> list[str]:
    return sorted(p.parent.name for p in root.glob("*/index.py"))


class FunctionRegistry:
    """Loads each function's module once per process, on its first call, like a warm SCF."""

    def __init__(self, root: Path = FUNCTIONS_DIR) -> None:
        self.root = root
        self.names = set(function_names(root))
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def handler(self, name: str) -> Handler | None:
        if name not in self.names:
            return None
        with self._lock:
            if name not in self._handlers:
                path = self.root / name / "index.py"
                spec = importlib.util.spec_from_file_location(f"retail_functions.{name}", path)
                assert spec and spec.loader
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                self._handlers[name] = module.main_handler
            return self._handlers[name]
