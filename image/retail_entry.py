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

    python3 retail_entry.py <function name> [--function-url [--closed-to-clients]]
        (port 9000; RETAIL_ENTRY_PORT for tests)

--function-url says the function is deployed with a function URL: only then is an
HTTP-shaped event an HTTP trigger's. An image's context names no CloudBase client, so without
it such a body is a client's data, as on the code runtime. --closed-to-clients says
CloudBase's rules refuse the function to clients, so only its URL brings such an event and its
address is the one SCF wrote; otherwise a client could send the same shape, and the address
in it is believed by nobody (no client picks the address its rate limits count).
scripts/scf_cli.py adds both from serverless.yml and infra/cloudbase-function-rules.json.
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
from email.message import Message
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
FUNCTION_URL_KEY = "function_url"  # retail.core.platform.FUNCTION_URL_KEY
CLOSED_TO_CLIENTS_KEY = "closed_to_clients"  # retail.core.platform.CLOSED_TO_CLIENTS_KEY
FUNCTION_URL_FLAG = "--function-url"
CLOSED_FLAG = "--closed-to-clients"
USAGE = f"usage: retail_entry.py <function name> [{FUNCTION_URL_FLAG} [{CLOSED_FLAG}]]"
# SCF's largest synchronous event (583/11637: "Sync request event size | 6 MB").
MAX_EVENT_BYTES = 6 * 1024 * 1024
WHOLE = re.compile(r"[0-9]{1,9}")

Handler = Callable[[Any, dict[str, Any]], Any]


def context_of(
    headers: dict[str, str], *, function_url: bool = False, closed_to_clients: bool = False
) -> dict[str, Any]:
    """The handler context for one invocation, from SCF's headers (names lower-cased).

    X-Scf-Timeout is read in milliseconds and X-Scf-Memory in MB: a captured request shows
    300000 and 512 (tests/golden/scf/event_invoke.json), and 300000 seconds would outlast any
    SCF timeout. A value that is not a whole number is left out, and the store then keeps its
    client's own timeouts."""
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
    context[FUNCTION_URL_KEY] = function_url
    context[CLOSED_TO_CLIENTS_KEY] = function_url and closed_to_clients
    return context


def event_of(body: bytes) -> Any:
    """The event SCF posted: JSON, as every trigger's event is; anything else is handed on as
    text, for the handler to refuse in its own words."""
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text else {}
    except (ValueError, RecursionError):  # nested past the parser's depth: not an event of ours
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


class Refused(Exception):
    """A request that is not an event invocation, answered `status` with the message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def event_length(path: str, headers: Message[str, str]) -> int:
    """The length of the event a request carries; Refused if it is not an event invocation,
    or if its framing is not plain (one Content-Length, no Transfer-Encoding, headers that
    parse): a body whose end is in doubt must never leave bytes to be read as a request."""
    if path.split("?", 1)[0] != INVOKE_PATH:
        raise Refused(404, f"an event function is invoked at {INVOKE_PATH}")
    if headers.get_all("Transfer-Encoding") is not None:
        raise Refused(411, "SCF sends each event with its Content-Length")
    lengths = headers.get_all("Content-Length") or ["0"]
    length = _whole(lengths[0]) if len(lengths) == 1 and not headers.defects else None
    if length is None:
        raise Refused(400, "one Content-Length, a whole number, in headers that parse")
    if length > MAX_EVENT_BYTES:
        raise Refused(413, f"an event is at most {MAX_EVENT_BYTES} bytes")
    return length


class Instance:
    """What one instance serves: its function, run one invocation at a time, as an event
    function's instance receives them (decision 0013)."""

    def __init__(
        self, handler: Handler, *, function_url: bool = False, closed_to_clients: bool = False
    ) -> None:
        self.handler = handler
        self.function_url = function_url
        self.closed_to_clients = closed_to_clients
        self.one_at_a_time = threading.Lock()
        self.first = True

    def invoke(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """(status, answer) for one event invocation; `headers` lower-cased."""
        event = event_of(body)
        context = context_of(
            headers, function_url=self.function_url, closed_to_clients=self.closed_to_clients
        )
        with self.one_at_a_time:
            if self.first:
                self.first = False
                _note_header_names(headers)
            try:
                return 200, _json(self.handler(event, context))
            except Exception:  # noqa: BLE001 (the handler answers every error: a bug of ours)
                traceback.print_exc()
                return 500, _json({"code": "INTERNAL", "message": "internal error"})


def request_handler(instance: Instance) -> type[BaseHTTPRequestHandler]:
    """Requests for `instance`, on threads. Every answer closes its connection (`Connection:
    close`, as the captured request of SCF's asks): no connection is kept idle for a client
    to reuse after this side gave up on it, and a refused request's unread body is never
    taken for the next request."""

    class Invoke(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60  # seconds a request's head or body may take to arrive

        def do_POST(self) -> None:
            try:
                length = event_length(self.path, self.headers)
            except Refused as refused:
                self._refuse(refused.status, str(refused))
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._send(*instance.invoke(self.rfile.read(length), headers))

        def do_GET(self) -> None:
            self._refuse(405, f"POST {INVOKE_PATH}")

        do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

        def do_HEAD(self) -> None:
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

        def _refuse(self, status: int, message: str) -> None:
            self._answer(status, {"message": message})

        def _answer(self, status: int, payload: Any) -> None:
            self._send(status, _json(payload))

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

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
    if not argv or argv[1:] not in ([], [FUNCTION_URL_FLAG], [FUNCTION_URL_FLAG, CLOSED_FLAG]):
        print(USAGE, file=sys.stderr)
        return 2
    handler = load_handler(argv[0])
    port = int(os.environ.get("RETAIL_ENTRY_PORT") or SCF_PORT)
    served = Instance(
        handler, function_url=FUNCTION_URL_FLAG in argv, closed_to_clients=CLOSED_FLAG in argv
    )
    server = ThreadingHTTPServer(("0.0.0.0", port), request_handler(served))  # SCF's address
    server.daemon_threads = True
    print(f"retail_entry: {argv[0]} listening on 0.0.0.0:{port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
