"""A pre-forking HTTP server: N worker processes share one listening socket and one store.

Each worker is one function instance (scripts/gateway/functions.py `Instance`); one with
invocations queued leaves new connections to the others for a moment, as SCF hands a
request to an idle instance. A worker that dies is replaced (the orders it was placing are
finished or undone by order_repair, as on SCF); a request whose length is not a number or
whose body never arrives gets a 400, an idle or stalled connection is closed after
SOCKET_TIMEOUT_SECONDS, and one that trickles its request is cut at twice that.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from retail.common.errors import ErrorCode
from retail.common.logs import log
from retail.common.settings import reset_settings, settings
from retail_dev.embedded.scans import listen

from .functions import FunctionRegistry
from .routes import Reply, dispatch, error_reply

MAX_BODY_BYTES = 1024 * 1024
DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES
SOCKET_TIMEOUT_SECONDS = 10.0


class ReadDeadlines:
    """The connections still reading a request, and when each must have it whole. One
    thread per worker process shuts the reading side of the late ones (a timer thread per
    request cost more than a trivial function call)."""

    TICK_SECONDS = 0.1

    def __init__(self) -> None:
        self._due: dict[int, tuple[float, socket.socket]] = {}
        self._lock = threading.Lock()
        self._watcher_pid: int | None = None

    def watch(self, conn: socket.socket, seconds: float) -> None:
        with self._lock:
            self._due[id(conn)] = (time.monotonic() + seconds, conn)
            if self._watcher_pid != os.getpid():  # threads do not survive a fork
                self._watcher_pid = os.getpid()
                threading.Thread(target=self._cut_late, daemon=True).start()

    def release(self, conn: socket.socket) -> None:
        with self._lock:
            self._due.pop(id(conn), None)

    def _cut_late(self) -> None:
        while True:
            time.sleep(self.TICK_SECONDS)
            now = time.monotonic()
            with self._lock:
                late = [key for key, (due, _) in self._due.items() if due <= now]
                cut = [self._due.pop(key)[1] for key in late]
            for conn in cut:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RD)


DEADLINES = ReadDeadlines()


class InstanceServer(ThreadingHTTPServer):
    """One worker's server. Connections are spread over the workers when they are accepted
    and then stay (keep-alive), so a worker that takes more than its share serves each of
    them slower: one whose instance already has invocations queued waits up to
    DEFER_ACCEPT_SECONDS before accepting, leaving the connection to an idler worker."""

    DEFER_ACCEPT_SECONDS = 0.05
    QUEUED_ENOUGH = 2
    daemon_threads = True
    defer_accept = False  # a lone worker has nobody to leave a connection to

    def get_request(self) -> tuple[socket.socket, Any]:
        instance = self.RequestHandlerClass.registry.instance  # type: ignore[attr-defined]
        deadline = time.monotonic() + self.DEFER_ACCEPT_SECONDS
        while (
            self.defer_accept
            and instance.waiting >= self.QUEUED_ENOUGH
            and time.monotonic() < deadline
        ):
            time.sleep(0.002)
        return super().get_request()


class GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server_version = "retail-dev-gateway"
    timeout = SOCKET_TIMEOUT_SECONDS
    registry: FunctionRegistry
    dev: bool

    def handle_one_request(self) -> None:
        """A request must arrive whole within two socket timeouts: the socket timeout alone
        bounds each read, so a client trickling a byte at a time would hold the connection
        (and its thread) for ever. Past the deadline the reading side is shut."""
        DEADLINES.watch(self.connection, 2 * self.timeout)
        try:
            super().handle_one_request()
        finally:
            DEADLINES.release(self.connection)

    def _serve(self) -> None:
        started = time.perf_counter()
        reply = self._reply()
        self._send(reply)
        ms = (time.perf_counter() - started) * 1000
        sys.stderr.write(
            f"{self.command} {self.path} {reply.status} {ms:.1f}ms pid={os.getpid()}\n"
        )

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def _reply(self) -> Reply:
        body = self._body()
        if isinstance(body, Reply):
            self.close_connection = True
            return body
        headers = {k.lower(): v for k, v in self.headers.items()}
        peer = self.client_address[0]
        try:
            return dispatch(self.registry, self.dev, self.command, self.path, headers, body, peer)
        except Exception as exc:  # noqa: BLE001 - a gateway fault must still answer
            return error_reply(ErrorCode.INTERNAL, f"gateway error: {type(exc).__name__}")

    def _body(self) -> bytes | Reply:
        """The request body, or the error reply for a body we will not read."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return error_reply(ErrorCode.INVALID_ARGUMENT, "Content-Length is not a length")
        if length > MAX_BODY_BYTES:
            self._discard(length)
            return error_reply(ErrorCode.PAYLOAD_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes")
        try:
            body = self.rfile.read(length) if length else b""
        except TimeoutError:
            body = b""
        DEADLINES.release(self.connection)  # read in time: the function may take longer
        if len(body) < length:
            return error_reply(ErrorCode.INVALID_ARGUMENT, "the body is shorter than its length")
        return body

    def _discard(self, length: int) -> None:
        """Read an oversized body away (up to a bound) so the client sees our 413."""
        remaining = min(length, DRAIN_LIMIT_BYTES)
        with contextlib.suppress(TimeoutError):
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        return  # one line per call is written by _serve


def shared_listener(host: str, port: int) -> socket.socket:
    """The socket every worker accepts from. Each worker's selector wakes for every new
    connection and only one gets it, so the listener does not block: a worker that waited
    (InstanceServer) and lost the connection to another goes back to its selector, where it
    looks at its queue again, instead of sleeping in accept() and taking the next
    connection whatever its queue (socketserver drops the OSError of an empty accept)."""
    listener = socket.create_server((host, port), reuse_port=False, backlog=1024)
    listener.setblocking(False)
    return listener


def serve(
    host: str, port: int, workers: int, socket_timeout: float = SOCKET_TIMEOUT_SECONDS
) -> None:
    # The sandbox notifies this gateway unless told otherwise.
    os.environ.setdefault("WECHATPAY_NOTIFY_URL", f"http://{host}:{port}/http/payment_notify")
    os.environ.setdefault("WECHATPAY_REFUND_NOTIFY_URL", f"http://{host}:{port}/http/refund_notify")
    os.environ.setdefault(
        "WECHATPAY_TRANSFER_NOTIFY_URL", f"http://{host}:{port}/http/transfer_notify"
    )
    os.environ.setdefault("RETAIL_DEV_WECHAT_PUSH_URL", f"http://{host}:{port}/http/platform_event")
    if settings().is_dev:  # the sample mini-program's notice templates
        from retail_dev.wechat_sandbox import SAMPLE_NOTICE_TEMPLATES

        os.environ.setdefault("RETAIL_NOTICE_TEMPLATES", json.dumps(SAMPLE_NOTICE_TEMPLATES))
    reset_settings()
    log_collection_scans()
    handler = type(
        "Gateway",
        (GatewayHandler,),
        {"registry": FunctionRegistry(), "dev": settings().is_dev, "timeout": socket_timeout},
    )
    listener = shared_listener(host, port)

    def run_worker() -> None:
        server = InstanceServer((host, port), handler, bind_and_activate=False)
        server.defer_accept = workers > 1
        server.socket.close()
        server.socket = listener
        server.serve_forever()

    bound = listener.getsockname()
    print(
        f"dev gateway on http://{bound[0]}:{bound[1]} with {workers} worker(s), "
        f"RETAIL_ENV={settings().RETAIL_ENV}, store {settings().store_uri}",
        flush=True,
    )
    url = f"http://{'127.0.0.1' if bound[0] == '0.0.0.0' else bound[0]}:{bound[1]}"
    timers = settings().is_dev and os.environ.get("RETAIL_DEV_TIMERS", "on") != "off"
    if workers <= 1:
        if timers:
            start_timers(url)
        run_worker()
    else:
        Supervisor(run_worker, (lambda: start_timers(url)) if timers else None).run(workers)


def log_collection_scans() -> None:
    """The embedded engine's scans go to the gateway's log, as MongoDB's COLLSCAN plans go to
    its slow-query log: a query no index serves is seen where it is written, not in a shop's
    second year (and the end-to-end tests fail on one: tests/scan_guard.py)."""
    listen(
        lambda scan: log(
            "collection_scan",
            "WARNING",
            collection=scan.collection,
            shape=scan.shape,
            callers=list(scan.callers),
        )
    )


def start_timers(url: str) -> int:
    """The timers of serverless.yml on their schedules (scripts/gateway/timers.py), in a
    process of their own that ends with this one; returns its pid."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("timers.py")), "--url", url],
        stdin=subprocess.DEVNULL,
    )
    return process.pid


class Supervisor:
    """Keeps `workers` forked worker processes running until SIGTERM or SIGINT, and the
    timers process (`start_timers`, when given), each restarted as what it is."""

    def __init__(
        self, run_worker: Callable[[], None], start_timers: Callable[[], int] | None = None
    ) -> None:
        self.run_worker = run_worker
        self.start_timers = start_timers
        self.timers: int | None = None
        self.children: set[int] = set()
        self.stopping = False

    def run(self, workers: int) -> None:
        for _ in range(workers):
            self._start()
        if self.start_timers is not None:  # after the forks: no worker inherits it
            self.timers = self.start_timers()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        while not self.stopping:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                return
            if pid == self.timers and self.start_timers is not None and not self.stopping:
                sys.stderr.write(f"timers {pid} exited ({status}); starting them again\n")
                self.timers = self.start_timers()
                continue
            if pid not in self.children:
                continue
            self.children.discard(pid)
            if not self.stopping:
                sys.stderr.write(f"worker {pid} exited ({status}); starting another\n")
                self._start()

    def _start(self) -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            self.run_worker()
            os._exit(0)
        self.children.add(pid)

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping = True
        for child in [*self.children, *([self.timers] if self.timers else [])]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
        for child in list(self.children):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)
        sys.exit(0)
