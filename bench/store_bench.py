"""Conditional decrements per second on one hot document from several processes.

Prints the embedded engine's rate, raw SQLite doing the same conditional UPDATE (the
ceiling), and their ratio. Run: .venv/bin/python bench/store_bench.py [--processes 4]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from retail.store import connect


def _engine_worker(path: str, count: int, start, done) -> None:
    skus = connect(f"sqlite:///{path}").skus
    start.wait()
    for _ in range(count):
        skus.find_one_and_update({"_id": "hot", "stock": {"$gte": 1}}, {"$inc": {"stock": -1}})
    done.put(None)


def _raw_worker(path: str, count: int, start, done) -> None:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    start.wait()
    for _ in range(count):
        conn.execute("UPDATE skus SET stock = stock - 1 WHERE id = 'hot' AND stock >= 1")
    done.put(None)


def _prepare_raw(path: str, stock: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE skus (id TEXT PRIMARY KEY, stock INTEGER)")
    conn.execute("INSERT INTO skus VALUES ('hot', ?)", (stock,))
    conn.close()


def _run(worker, path: str, processes: int, per_process: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    start, done = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(path, per_process, start, done)) for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # let every process import and connect before the clock starts
    began = time.perf_counter()
    start.set()
    for _ in procs:
        done.get()
    elapsed = time.perf_counter() - began
    for proc in procs:
        proc.join()
    return processes * per_process / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--per-process", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3, help="median of this many runs each")
    args = parser.parse_args()
    total = args.processes * args.per_process * args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        engine_path, raw_path = str(Path(tmp, "engine.db")), str(Path(tmp, "raw.db"))
        connect(f"sqlite:///{engine_path}").skus.insert_one({"_id": "hot", "stock": total})
        _prepare_raw(raw_path, total)
        engines, raws = [], []
        for _ in range(args.rounds):  # interleaved, so both see the same machine load
            engines.append(_run(_engine_worker, engine_path, args.processes, args.per_process))
            raws.append(_run(_raw_worker, raw_path, args.processes, args.per_process))
        engine, raw = statistics.median(engines), statistics.median(raws)
    print(
        f"processes: {args.processes}, decrements per process: {args.per_process}, "
        f"median of {args.rounds} interleaved rounds"
    )
    print(f"embedded engine find_one_and_update: {engine:,.0f} decrements/s")
    print(f"raw SQLite conditional UPDATE:       {raw:,.0f} decrements/s")
    print(f"ratio engine/raw:                    {engine / raw:.2f}x")


if __name__ == "__main__":
    main()
