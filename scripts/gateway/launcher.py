"""Start a dev gateway (scripts/dev_server.py, several worker processes) on a free port, over
a fresh store seeded with the demo catalogue: what the end-to-end tests, the concurrency tests
and the benches all stand on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Gateway:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    db_uri: str

    def post(
        self,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, dict[str, Any]]:
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def log_lines(self) -> list[str]:
        return self.log_path.read_text().splitlines()

    def json_log(self) -> list[dict[str, Any]]:
        """The functions' JSON log lines so far."""
        text = self.log_path.with_suffix(".json.log").read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gateway(
    tmp_path: Path,
    env_name: str,
    workers: int = 2,
    settings: dict[str, str] | None = None,
    options: list[str] | None = None,
    db_uri: str | None = None,
) -> Gateway:
    """A running gateway over `db_uri` (default: the embedded store `tmp_path`/e2e.db),
    initialised and seeded; `settings` are extra environment settings, `options` extra
    dev_server.py arguments."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WX_")}
    env.update(
        RETAIL_ENV=env_name,
        RETAIL_DB_URI=db_uri or f"sqlite:///{tmp_path}/e2e.db",
        RETAIL_SESSION_SECRET="e2e-session-secret-of-thirty-two-bytes",
        RETAIL_DEV_TIMERS="off",  # tests and benches fire the timers they mean to
    )
    env.update(settings or {})
    python = sys.executable
    subprocess.run(
        [python, str(ROOT / "scripts" / "init_db.py")],
        env=env,
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    subprocess.run(
        [python, str(ROOT / "scripts" / "seed.py"), str(ROOT / "infra" / "seed" / "demo.json")],
        env=env,
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    port = _free_port()
    log_path = tmp_path / f"gateway-{env_name}.log"
    process = subprocess.Popen(
        [
            python,
            str(ROOT / "scripts" / "dev_server.py"),
            "--port",
            str(port),
            "--workers",
            str(workers),
            *(options or []),
        ],
        env=env,
        cwd=tmp_path,
        stdout=log_path.with_suffix(".json.log").open("wb"),
        stderr=log_path.open("wb"),
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return Gateway(f"http://127.0.0.1:{port}", process, log_path, env["RETAIL_DB_URI"])
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the dev gateway did not start: " + log_path.read_text())


def stop(gateway: Gateway) -> str:
    """Stop it; returns its JSON log."""
    gateway.process.terminate()
    gateway.process.wait(10)
    return gateway.log_path.with_suffix(".json.log").read_text(errors="replace")
