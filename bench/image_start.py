"""Cold start of the image's entry (image/retail_entry.py) against the zip path: for each
function, a fresh process from spawn to its first answer, both ways, interleaved run by run
so drift in the machine's state affects both alike.

- zip: SCF's Python runtime as the packaging test lays it out (index.py in /var/user, the
  layers in /opt): import the handler, call it once.
- image: the entry as image/Dockerfile starts it: import the handler, listen, then the first
  `POST /event-invoke` (the documented request) answered; "listening" is SCF's 30 s rule.

Times are medians (ms); the ratio is the median of the run-by-run ratios image / zip.

    .venv/bin/python bench/image_start.py [--runs 7] [--only catalog_browse order_expire ...]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVKIT = ROOT / "devkit"
DEFAULT = ["catalog_browse", "order_place", "order_expire", "payment_notify"]
ZIP = """
import json, sys
sys.path[:0] = [{user!r}, {opt!r}, {devkit!r}]
import index
print(json.dumps(index.main_handler(json.loads(sys.argv[1]), {{"request_id": "bench"}})))
"""
TIMER = {"Type": "Timer", "TriggerName": "bench", "Time": "2026-12-07T00:00:00Z", "Message": "{}"}


def lay_out(out: Path) -> None:
    """dist/ for this Python: the zips' layout and the image's (scripts/package.py --image)."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "package.py"),
            "--out",
            str(out),
            "--local",
            "--wheels",
            str(ROOT / ".cache" / "wheels" / "local"),
            "--image",
        ],
        check=True,
        capture_output=True,
    )


def event_for(name: str) -> dict[str, object]:
    return TIMER if name == "order_expire" else {}


def zip_once(dist: Path, name: str, env: dict[str, str]) -> float:
    user, opt = dist / "functions" / name, dist / "image" / "opt"
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-S",
            "-E",
            "-c",
            ZIP.format(user=str(user), opt=str(opt), devkit=str(DEVKIT)),
            json.dumps(event_for(name)),
        ],
        cwd=user,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    answer = process.stdout.readline()
    took = time.perf_counter() - started
    process.wait()
    assert answer.startswith("{"), answer
    return took * 1000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def image_once(dist: Path, name: str, env: dict[str, str]) -> tuple[float, float]:
    """(ms to listening, ms to the first answer), both from spawn."""
    user, port = dist / "image", _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-S", str(user / "retail_entry.py"), name],
        cwd=user,
        env={
            **env,
            "PYTHONPATH": f"{user / 'opt'}{os.pathsep}{DEVKIT}",
            "RETAIL_ENTRY_PORT": str(port),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.002)
        listening = time.perf_counter() - started
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(
            "POST",
            "/event-invoke",
            json.dumps(event_for(name)),
            {"X-Scf-Request-Id": "bench", "X-Scf-Timeout": "10000"}
            | ({"X-Scf-Trigger-Src": "Timer"} if name == "order_expire" else {}),
        )
        answer = connection.getresponse().read()
        answered = time.perf_counter() - started
        assert answer.startswith(b"{"), answer
    finally:
        process.terminate()
        process.wait()
    return listening * 1000, answered * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", nargs="*", default=DEFAULT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        dist = Path(scratch) / "dist"
        lay_out(dist)
        env = {
            "PATH": os.environ["PATH"],
            "RETAIL_ENV": "dev",
            "RETAIL_LOG_LEVEL": "ERROR",
            "RETAIL_DB_URI": f"sqlite:///{scratch}/bench.db",
        }
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "init_db.py")],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        print(f"{'function':<16} {'zip ms':>8} {'image ms':>9} {'listening':>10} {'image/zip':>10}")
        for name in args.only:
            zips, images, listens, ratios = [], [], [], []
            for _ in range(args.runs):
                zipped = zip_once(dist, name, env)
                listening, answered = image_once(dist, name, env)
                zips.append(zipped)
                images.append(answered)
                listens.append(listening)
                ratios.append(answered / zipped)
            print(
                f"{name:<16} {statistics.median(zips):>8.0f} {statistics.median(images):>9.0f}"
                f" {statistics.median(listens):>10.0f} {statistics.median(ratios):>10.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
