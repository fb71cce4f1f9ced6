"""A pre-forking HTTP server: N worker processes share one listening socket and one store."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from retail.common.errors import ErrorCode
from retail.common.settings import reset_settings, settings

from .functions import FunctionRegistry
from .routes import Reply, dispatch, error_reply

MAX_BODY_BYTES = 1024 * 1024
DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES


def make_handler(registry: FunctionRegistry, dev: bool) -> type[BaseHTTPRequestHandler]:
    class GatewayHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes
        server_version = "retail-dev-gateway"

        def _serve(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._discard(length)
                reply = error_reply(
                    ErrorCode.PAYLOAD_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes"
                )
                self.close_connection = True
            else:
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    reply = dispatch(registry, dev, self.command, self.path, headers, body)
                except Exception as exc:  # noqa: BLE001 - a gateway fault must still answer
                    reply = error_reply(ErrorCode.INTERNAL, f"gateway error: {type(exc).__name__}")
            self._send(reply)
            ms = (time.perf_counter() - started) * 1000
            sys.stderr.write(
                f"{self.command} {self.path} {reply.status} {ms:.1f}ms pid={os.getpid()}\n"
            )

        def _discard(self, length: int) -> None:
            """Read an oversized body away (up to a bound) so the client sees our 413."""
            remaining = min(length, DRAIN_LIMIT_BYTES)
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

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: object) -> None:
            return  # one line per call is written by _serve

    return GatewayHandler


def serve(host: str, port: int, workers: int) -> None:
    # The sandbox notifies this gateway unless told otherwise.
    os.environ.setdefault("WECHATPAY_NOTIFY_URL", f"http://{host}:{port}/http/payment_notify")
    os.environ.setdefault("WECHATPAY_REFUND_NOTIFY_URL", f"http://{host}:{port}/http/refund_notify")
    reset_settings()
    dev = settings().is_dev
    registry = FunctionRegistry()
    listener = socket.create_server((host, port), reuse_port=False, backlog=1024)
    ThreadingHTTPServer.daemon_threads = True

    def run_worker() -> None:
        server = ThreadingHTTPServer(
            (host, port), make_handler(registry, dev), bind_and_activate=False
        )
        server.socket.close()
        server.socket = listener
        server.serve_forever()

    bound = listener.getsockname()
    print(
        f"dev gateway on http://{bound[0]}:{bound[1]} with {workers} worker(s), "
        f"RETAIL_ENV={settings().RETAIL_ENV}, store {settings().RETAIL_DB_URI}",
        flush=True,
    )
    if workers <= 1:
        run_worker()
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            run_worker()
            os._exit(0)
        children.append(pid)

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
        for child in children:
            os.waitpid(child, 0)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        pid, _status = os.wait()
        sys.stderr.write(f"worker {pid} exited; stopping the gateway\n")
        stop(signal.SIGTERM, None)
