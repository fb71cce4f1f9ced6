"""Real processes released at one moment: the store-level races' common harness."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

Job = tuple[Callable[..., None], tuple[Any, ...]]


def race(target: Callable[..., None], arguments: list[tuple[Any, ...]]) -> list[Any]:
    """One spawned process per tuple, each running `target(*tuple, start, results)`."""
    return race_jobs([(target, args) for args in arguments])


def race_jobs(jobs: list[Job]) -> list[Any]:
    """One spawned process per (target, args), each running `target(*args, start, results)`,
    all let go at once (`start`); returns what each put on `results`, as they finished."""
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=target, args=(*args, start, results)) for target, args in jobs]
    for worker in workers:
        worker.start()
    start.set()
    answers = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
    return answers
