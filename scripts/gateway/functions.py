"""Finding and loading the cloud functions in functions/<name>/index.py, and running them
one invocation at a time per worker, as an SCF instance does."""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
Handler = Callable[[Any, Any], Any]


def function_names(root: Path = FUNCTIONS_DIR) -> list[str]:
    return sorted(p.parent.name for p in root.glob("*/index.py"))


class Instance:
    """One function instance: it runs one invocation at a time, in the order they came.

    SCF gives each concurrent instance one event at a time unless multi-concurrency is
    switched on (docs/decisions/0013-one-invocation-per-instance.md), so each gateway worker
    is one instance; its threads only read and write sockets. Handlers running side by side
    in one process would queue on the GIL while holding the store's write turn, and every
    other worker would wait for them.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._busy = False
        self._waiting: deque[threading.Lock] = deque()

    @property
    def waiting(self) -> int:
        """Invocations queued for their turn."""
        with self._mutex:
            return len(self._waiting)

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._mutex:
            handed: threading.Lock | None = None
            if self._busy:
                handed = threading.Lock()
                handed.acquire()
                self._waiting.append(handed)
            self._busy = True
        if handed is not None:
            handed.acquire()  # released by the invocation before this one: the turn is ours
        try:
            yield
        finally:
            with self._mutex:
                if self._waiting:
                    self._waiting.popleft().release()
                else:
                    self._busy = False


class FunctionRegistry:
    """Loads each function's module once per process, on its first call, like a warm SCF;
    the handlers it gives run in the worker's one instance."""

    def __init__(self, root: Path = FUNCTIONS_DIR) -> None:
        self.root = root
        self.names = set(function_names(root))
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.instance = Instance()

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
                self._handlers[name] = self._in_instance(module.main_handler)
            return self._handlers[name]

    def _in_instance(self, main_handler: Handler) -> Handler:
        @functools.wraps(main_handler)
        def invoke(event: Any, context: Any) -> Any:
            with self.instance.turn():
                return main_handler(event, context)

        return invoke
