"""The image's entry: SCF's WebServer image contract, served for one function's handler.

SCF starts an image function's HTTP server and sends each invocation of an event function as
`POST /event-invoke` on port 9000: the body is the event, the X-Scf-* headers are the context
(Tencent Cloud 583/56051 and 583/41076; docs/decisions/0024-cli-deploy-with-an-image.md). The
image holds every function; the one this instance serves is the container's argument (the
function's `image.args` in its serverless.yml), imported before the server listens so a wrong
name stops the instance at start rather than at its first call.

The handler gets the context SCF's Python runtime would give it, built from the headers SCF
sets and from nothing in the body (the body is the caller's), plus the timer header: in an
image, a timer is believed only when SCF says one fired. The answer is the handler's return
value as JSON, which SCF hands back as a code runtime's return value.

    python3 retail_entry.py <function name>     (PORT: 9000; RETAIL_ENTRY_PORT for tests)
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FUNCTIONS = HERE / "functions"
INVOKE_PATH = "/event-invoke"
SCF_PORT = 9000
# The documented common headers this entry reads, and the context key SCF's Python runtime
# gives the same value under (583/55593 lists those keys); the credentials headers
# (X-Scf-Secret-Id, -Secret-Key, -Session-Token) are not read: the code uses its own settings.
TEXT_HEADERS = {
    "x-scf-request-id": "request_id",
    "x-scf-name": "function_name",
    "x-scf-namespace": "namespace",
    "x-scf-version": "function_version",
    "x-scf-region": "tencentcloud_region",
    "x-scf-appid": "tencentcloud_appid",
    "x-scf-uin": "tencentcloud_uin",
}
TRIGGER_SRC_HEADER = "x-scf-trigger-src"
TRIGGER_SRC_KEY = "trigger_src"  # retail.core.platform.TRIGGER_SRC_KEY
WHOLE = re.compile(r"[0-9]{1,9}")

Handler = Callable[[Any, dict[str, Any]], Any]


def context_of(headers: dict[str, str]) -> dict[str, Any]:
    """The handler context for one invocation, from SCF's headers (names lower-cased).

    X-Scf-Timeout is in milliseconds and X-Scf-Memory in MB, as a captured request shows
    (300000 for a 300 s function: tests/golden/scf/event_invoke.json); a value that is not a
    whole number is left out, and the store then keeps its client's own timeouts."""
    context: dict[str, Any] = {
        key: headers[name] for name, key in TEXT_HEADERS.items() if headers.get(name)
    }
    if (timeout := _whole(headers.get("x-scf-timeout"))) is not None:
        context["time_limit_in_ms"] = timeout
    if (memory := _whole(headers.get("x-scf-memory"))) is not None:
        context["memory_limit_in_mb"] = memory
    namespace = context.get("namespace")
    context["environment"] = json.dumps({"SCF_NAMESPACE": namespace} if namespace else {})
    context[TRIGGER_SRC_KEY] = headers.get(TRIGGER_SRC_HEADER, "")
    return context


def event_of(body: bytes) -> Any:
    """The event SCF posted: JSON, as every trigger's event is; anything else is handed on as
    text, for the handler to refuse in its own words."""
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text


def load_handler(name: str) -> Handler:
    """The named function's `main_handler`, from the image's functions/<name>/index.py."""
    source = FUNCTIONS / name / "index.py"
    if not name.isidentifier() or not source.is_file():
        raise SystemExit(f"retail_entry: no function {name!r} in {FUNCTIONS}")
    spec = importlib.util.spec_from_file_location("index", source)
    if spec is None or spec.loader is None:
        raise SystemExit(f"retail_entry: cannot load {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["index"] = module
    spec.loader.exec_module(module)
    handler: Handler = module.main_handler
    return handler


def request_handler(handler: Handler) -> type[BaseHTTPRequestHandler]:
    """Requests for `handler`. Connections are served on threads (an idle kept-alive one must
    not hold the next), but invocations run one at a time, as an event function's instance
    receives them (decision 0013)."""
    one_at_a_time = threading.Lock()
    first = threading.Event()

    class Invoke(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] != INVOKE_PATH:
                self._answer(404, {"message": f"an event function is invoked at {INVOKE_PATH}"})
                return
            length = _whole(self.headers.get("Content-Length") or "0")
            if length is None:
                self._answer(400, {"message": "Content-Length must be a whole number"})
                return
            event = event_of(self.rfile.read(length))
            headers = {k.lower(): v for k, v in self.headers.items()}
            context = context_of(headers)
            if not first.is_set():
                first.set()
                _note_header_names(headers)
            with one_at_a_time:
                try:
                    body = _json(handler(event, context))
                except Exception:  # noqa: BLE001 (the handler answers every error: a bug of ours)
                    traceback.print_exc()
                    self._answer(500, {"code": "INTERNAL", "message": "internal error"})
                    return
            self._send(200, body)

        def do_GET(self) -> None:
            self._answer(405, {"message": f"POST {INVOKE_PATH}"})

        def _answer(self, status: int, payload: Any) -> None:
            self._send(status, _json(payload))

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """The handler logs each call itself (with the request id); no access log."""

    return Invoke


def _note_header_names(headers: dict[str, str]) -> None:
    """Log the names (never the values) of the first invocation's headers: which context an
    instance receives beyond the documented X-Scf-* is for a live environment to show (a
    CloudBase caller's, decision 0024), and nothing here believes it."""
    from retail.common.logs import log

    log("image_headers_seen", "INFO", names=sorted(headers))


def _json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _whole(value: str | None) -> int | None:
    return int(value) if value is not None and WHOLE.fullmatch(value.strip()) else None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: retail_entry.py <function name>", file=sys.stderr)
        return 2
    handler = load_handler(argv[0])
    port = int(os.environ.get("RETAIL_ENTRY_PORT") or SCF_PORT)
    server = ThreadingHTTPServer(("0.0.0.0", port), request_handler(handler))  # SCF's address
    server.daemon_threads = True
    print(f"retail_entry: {argv[0]} listening on 0.0.0.0:{port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
