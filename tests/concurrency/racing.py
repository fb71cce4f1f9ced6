"""Real processes released at one moment: the store-level races' common harness."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any


def race(target: Callable[..., None], arguments: list[tuple[Any, ...]]) -> list[Any]:
    """One spawned process per tuple, each running `target(*tuple, start, results)`, all let
    go at once (`start`); returns what each put on `results`, in the order they finished."""
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=target, args=(*args, start, results)) for args in arguments]
    for worker in workers:
        worker.start()
    start.set()
    answers = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
    return answers
