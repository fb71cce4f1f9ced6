"""The image's entry (image/retail_entry.py) on SCF's documented event-invoke requests: laid out
as image/Dockerfile copies it, started as its ENTRYPOINT, it answers each request exactly as
the zip-deployed handler answers the same event with the context SCF's Python runtime gives
(tests/golden/scf/event_invoke.json; decision 0024)."""

from __future__ import annotations

import http.client
import json
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "image"))
import retail_entry  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import scf_cli  # noqa: E402
from deploy.plan import read_config  # noqa: E402

from tests.scf_python import SCF_INTERPRETER, packaged_answers  # noqa: E402

GOLDEN = json.loads((ROOT / "tests" / "golden" / "scf" / "event_invoke.json").read_text("utf-8"))
PLATFORM = ROOT / "tests" / "events" / "platform"
WHEELS = ROOT / ".cache" / "wheels"
# The image's Python: 3.10 with the target wheels where a 3.10 is here, else this one.
PYTHON = SCF_INTERPRETER or sys.executable
DEVKIT = ROOT / "devkit"  # the embedded store, for the test's own database only


def _platform(name: str) -> dict:
    doc: dict = json.loads((PLATFORM / f"{name}.json").read_text(encoding="utf-8"))
    doc.pop("_source")
    return doc


def _headers(function: str, *, timer: bool = False) -> dict[str, str]:
    """The captured request's SCF headers, naming `function`."""
    captured = GOLDEN["captured"]["headers"]
    scf = {k: v for k, v in captured.items() if k.lower().startswith("x-scf-")}
    return {
        **scf,
        "Content-Type": captured["Content-Type"],
        "X-Scf-Name": function,
        **(GOLDEN["timer_headers"] if timer else {}),
    }


def _dockerfile() -> dict[str, str]:
    """image/Dockerfile's instructions (one of each kind is all it has), continuations joined."""
    text = (ROOT / "image" / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found = [line.split(None, 1) for line in lines if not line.startswith("#")]
    return {kind: rest for kind, rest in found}


def test_the_context_is_what_scfs_python_runtime_gives_and_nothing_else():
    captured = {k.lower(): v for k, v in GOLDEN["captured"]["headers"].items()}
    context = retail_entry.context_of(captured)
    assert context == {
        "request_id": "3b21a413-6e6a-11ee-b2ba-52540008c7f7",
        "function_name": "ceac-serverless",
        "namespace": "default",
        "function_version": "$LATEST",
        "tencentcloud_region": "na-siliconvalley",
        "tencentcloud_appid": "1252245989",
        "tencentcloud_uin": "100000090134",
        "memory_limit_in_mb": 512,
        "time_limit_in_ms": 300_000,  # a 300 s function
        "environment": json.dumps({"SCF_NAMESPACE": "default"}),
        "trigger_src": "",
        "function_url": False,
        "closed_to_clients": False,
    }
    python_runtime = set(_platform("scf_context")) - {"environ"}  # 583/55593's keys
    assert set(context) - {"trigger_src", "function_url", "closed_to_clients"} == python_runtime


def test_every_documented_header_is_read_or_is_a_credential_left_alone():
    read = {*retail_entry.TEXT_HEADERS, "x-scf-timeout", "x-scf-memory", "x-scf-trigger-src"}
    credentials = {"x-scf-secret-id", "x-scf-secret-key", "x-scf-session-token"}
    assert {h.lower() for h in GOLDEN["documented_headers"]} == read | credentials
    given = {h: f"secret-{h}" for h in credentials}
    assert "secret" not in json.dumps(retail_entry.context_of(given))


@pytest.mark.parametrize("value", ["", "3s", "-1", "1e3", "３", "9" * 30])
def test_a_timeout_that_is_not_a_whole_number_of_seconds_sets_no_deadline(value):
    context = retail_entry.context_of({"x-scf-timeout": value, "x-scf-memory": value})
    assert "time_limit_in_ms" not in context and "memory_limit_in_mb" not in context


@pytest.fixture(scope="module")
def image_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/var/user as image/Dockerfile copies it: `scripts/package.py --image`, for SCF's Python
    3.10 (manylinux wheels) where a 3.10 is here to run it, else for this Python."""
    build = ["--wheels", str(WHEELS / "target"), "--python-version", "3.10"]
    if SCF_INTERPRETER is None:
        build = ["--wheels", str(WHEELS / "local"), "--local"]
    if not any(Path(build[1]).glob("*.whl")):
        pytest.fail(f"no wheels in {build[1]}: run `make test`, which downloads them first")
    out = tmp_path_factory.mktemp("dist")
    package = [sys.executable, str(ROOT / "scripts" / "package.py"), "--out", str(out)]
    built = subprocess.run([*package, *build, "--image"], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return out


@pytest.fixture(scope="module")
def store_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("store") / "image.db"
    env = {
        "PATH": os.environ["PATH"],
        "RETAIL_ENV": "dev",
        "RETAIL_DB_URI": f"sqlite:///{db}",
        "RETAIL_LOG_LEVEL": "WARNING",
    }
    for script in (["init_db.py"], ["seed.py", str(ROOT / "infra" / "seed" / "demo.json")]):
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / script[0]), *script[1:]],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Instance:
    """One function's container: the Dockerfile's ENTRYPOINT, its ENV and WORKDIR, the
    function's name as the argument (what serverless's `image.args` passes)."""

    def __init__(self, root: Path, function: str, env: dict[str, str], *flags: str) -> None:
        instructions = _dockerfile()
        entry = json.loads(instructions["ENTRYPOINT"])
        assert entry[0] == "python3" and entry[1] == "/var/user/retail_entry.py"
        image_env = dict(pair.split("=", 1) for pair in shlex.split(instructions["ENV"]))
        assert image_env["PYTHONPATH"] == "/var/user/opt"
        self.port = _free_port()
        user = root / "image"
        self.process = subprocess.Popen(
            [PYTHON, "-S", str(user / "retail_entry.py"), function, *flags],
            cwd=user,
            env={
                **env,
                **image_env,
                "PYTHONPATH": f"{user / 'opt'}{os.pathsep}{DEVKIT}",
                "RETAIL_ENTRY_PORT": str(self.port),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.ready = self.process.stdout.readline() if self.process.stdout else ""

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        assert response.getheader("Content-Type") == "application/json; charset=utf-8"
        assert response.getheader("Connection") == "close"  # never kept idle for reuse
        answer = response.status, json.loads(response.read())
        connection.close()
        return answer

    def invoke(self, event: object, headers: dict[str, str]) -> dict:
        status, answer = self.request(
            GOLDEN["method"], GOLDEN["path"], json.dumps(event).encode(), headers
        )
        assert status == 200
        return answer

    def stop(self) -> str:
        """Everything the instance printed (its logs and errors)."""
        self.process.terminate()
        printed, errors = self.process.communicate(timeout=30)
        return printed + errors


def _zip_answer(root: Path, function: str, env: dict[str, str], event: object, context: dict):
    """What the same function answers deployed as a zip: its index.py in /var/user, the
    layers in /opt, called as SCF's Python runtime calls it."""
    user, opt = root / "functions" / function, root / "image" / "opt"
    return packaged_answers(user, opt, [[event, context]], env)[0]


def _documented_context(function: str) -> dict:
    return {**_platform("scf_context"), "function_name": function}


CASES = {
    # a CloudBase call: the caller's data with the userInfo CloudBase injects
    "cloudbase call": (
        "catalog_browse",
        {
            **json.loads((ROOT / "tests/events/catalog_browse.json").read_text("utf-8")),
            **_platform("cloudbase_call_event"),
        },
        False,
    ),
    # a timer: SCF's documented timer event (its free text replaced by the function's own)
    "timer": (
        "order_expire",
        {**_platform("scf_timer_event"), "Message": '{"batch_size": 100}'},
        True,
    ),
    # an HTTP trigger: the function URL's documented event, unsigned, to a webhook
    "function url": ("payment_notify", _platform("function_url_event"), False),
    # the captured request's own body (an API gateway GET), to the same webhook
    "captured": ("payment_notify", GOLDEN["captured"]["body"], False),
}
DEPLOYMENT = read_config(ROOT / "serverless.yml")


def deployed(function: str) -> list[str]:
    """The entry's flags as scripts/scf_cli.py deploys `function`."""
    return scf_cli.entry_flags(DEPLOYMENT, function)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_documented_request_is_answered_as_the_zip_handler_answers_it(
    image_root, store_env, case
):
    function, event, timer = CASES[case]
    instance = Instance(image_root, function, store_env, *deployed(function))
    try:
        assert instance.ready.startswith(f"retail_entry: {function} listening on 0.0.0.0:")
        answer = instance.invoke(event, _headers(function, timer=timer))
    finally:
        errors = instance.stop()
    zipped = _zip_answer(image_root, function, store_env, event, _documented_context(function))
    assert answer == zipped, errors
    if case == "cloudbase call":
        assert answer["code"] == "OK" and answer["data"]["items"], answer
    elif case == "timer":
        assert answer["code"] == "OK", answer
    elif case == "function url":
        assert answer["statusCode"] == 401 and "signature" in answer["body"], answer
    else:
        assert answer["statusCode"] >= 400, answer


def test_a_timer_event_scf_does_not_vouch_for_is_a_clients_data(image_root, store_env):
    """In an image no context names a client, so only SCF's timer header makes a timer: the
    same event without it is refused as a forged shape, as the zip handler refuses it when
    CloudBase names the client who sent it."""
    event = {**_platform("scf_timer_event"), "Message": "{}"}
    instance = Instance(image_root, "order_expire", store_env)
    try:
        forged = instance.invoke(event, _headers("order_expire"))
        believed = instance.invoke(event, _headers("order_expire", timer=True))
    finally:
        instance.stop()
    from_a_client = _zip_answer(
        image_root, "order_expire", store_env, event, _platform("cloudbase_call_context_json")
    )
    assert forged["code"] == from_a_client["code"] != "OK", forged
    assert believed["code"] == "OK", believed


def test_anything_but_an_event_invocation_is_refused_and_the_instance_stays_up(
    image_root, store_env
):
    instance = Instance(image_root, "catalog_browse", store_env)
    try:
        assert instance.request("GET", "/event-invoke", None, {})[0] == 405
        assert instance.request("POST", "/", b"{}", {})[0] == 404
        status, not_json = instance.request("POST", "/event-invoke", b"not json", {})
        assert (status, not_json["code"]) == (200, "INVALID_ARGUMENT")
        status, bad_length = instance.request(
            "POST", "/event-invoke", None, {"Content-Length": "many"}
        )
        assert status == 400, bad_length
        assert instance.invoke({}, _headers("catalog_browse"))["code"] == "OK"
    finally:
        instance.stop()


def test_the_first_invocation_logs_its_header_names_never_their_values(image_root, store_env):
    instance = Instance(image_root, "catalog_browse", {**store_env, "RETAIL_LOG_LEVEL": "INFO"})
    try:
        instance.invoke({}, _headers("catalog_browse"))
        instance.invoke({}, _headers("catalog_browse"))
    finally:
        printed = instance.stop()
    seen = [json.loads(line) for line in printed.splitlines() if "image_headers_seen" in line]
    assert len(seen) == 1, printed
    assert {"x-scf-request-id", "x-scf-timeout", "content-type"} <= set(seen[0]["names"])
    assert "3b21a413" not in json.dumps(seen[0]["names"])


def test_an_instance_named_for_no_function_stops_at_start(image_root, store_env):
    for name in ("no_such_function", "../functions/catalog_browse", ""):
        instance = Instance(image_root, name, store_env)
        errors = instance.stop() if instance.process.poll() is None else ""
        instance.process.wait(timeout=30)
        assert instance.process.returncode != 0
        assert instance.ready == "", instance.ready
        assert "no function" in (errors or instance.process.stderr.read()), errors


def _raw(port: int, data: bytes) -> bytes:
    """What the instance sends back for `data` written as is, until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := connection.recv(65536):
            got += chunk
    return got


def _head(function: str, *lines: str) -> bytes:
    scf = "".join(f"{k}: {v}\r\n" for k, v in _headers(function).items())
    return ("POST /event-invoke HTTP/1.1\r\nHost: scf\r\n" + scf + "".join(lines)).encode()


HTTP_SHAPED = {
    "httpMethod": "POST",
    "path": "/",
    "headers": {"x-scf-remote-addr": "203.0.113.77", "content-type": "application/json"},
    "body": "{}",
    "queryString": {},
}


def test_an_http_shaped_body_to_a_function_without_a_url_is_a_clients_data(image_root, store_env):
    """No HTTP trigger reaches a function deployed without a function URL, so such a body is
    a client's, refused as a forged shape as the zip handler refuses it when CloudBase names
    the client; and the client never picks the address it is counted by."""
    assert deployed("user_me") == []
    instance = Instance(image_root, "user_me", {**store_env, "RETAIL_LOG_LEVEL": "INFO"})
    try:
        answer = instance.invoke(HTTP_SHAPED, _headers("user_me"))
    finally:
        printed = instance.stop()
    # the zip handler refuses it as a forged shape when CloudBase names the client; here no
    # client is named, so it is refused first for having none
    assert "statusCode" not in answer and answer["code"] == "UNAUTHENTICATED", answer
    assert '"forged": ["event shape"]' in printed, printed
    answered = [json.loads(line) for line in printed.splitlines() if "function_answered" in line]
    assert answered and all(line["ip"] != "203.0.113.77" for line in answered), answered


@pytest.mark.parametrize("function", ["catalog_browse", "payment_notify"])
def test_an_http_events_address_is_believed_only_where_clients_cannot_send_one(
    image_root, store_env, function
):
    """catalog_browse has a function URL (the console reads it) and is open to CloudBase's
    clients, who could send the same shape: its HTTP events are served, their address is
    believed by nobody, so rotating it escapes no budget. payment_notify is closed to clients
    (infra/cloudbase-function-rules.json): only its URL brings an HTTP event, with SCF's
    address."""
    flags = deployed(function)
    closed = function == "payment_notify"
    assert flags == ["--function-url", *(["--closed-to-clients"] if closed else [])]
    limited = {**store_env, "RETAIL_RATE_LIMITS": '{"default": 1}', "RETAIL_LOG_LEVEL": "INFO"}
    instance = Instance(image_root, function, limited, *flags)
    try:
        statuses = []
        for n in range(12):
            event = {**HTTP_SHAPED, "headers": {"x-scf-remote-addr": f"198.51.100.{n}"}}
            statuses.append(instance.invoke(event, _headers(function))["statusCode"])
    finally:
        printed = instance.stop()
    answered = [json.loads(line) for line in printed.splitlines() if "function_answered" in line]
    addresses = {line["ip"] for line in answered}
    if closed:  # an unsigned notification: refused, each from the address SCF wrote
        assert set(statuses) == {401} and len(addresses) == 12, (statuses, addresses)
    else:  # one anonymous budget of 5 a minute, whatever the claimed address
        # (the module's earlier tests may have spent some of it this minute)
        assert statuses.count(200) <= 5 and statuses[5:] == [429] * 7, statuses
        assert addresses == {None}, addresses


def test_odd_requests_are_answered_and_leave_nothing_for_the_next_request(image_root, store_env):
    instance = Instance(image_root, "catalog_browse", store_env)
    try:
        nested = b'{"keyword": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        deep = _raw(
            instance.port,
            _head("catalog_browse", f"Content-Length: {len(nested)}\r\n\r\n") + nested,
        )
        chunked = _raw(
            instance.port,
            _head("catalog_browse", "Transfer-Encoding: chunked\r\n\r\n")
            + b"8\r\nnot json\r\n0\r\n\r\n",
        )
        methods = {
            method: _raw(
                instance.port, f"{method} /event-invoke HTTP/1.1\r\nHost: scf\r\n\r\n".encode()
            )
            for method in ("HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")
        }
        bodies = [b"[]", b"null", b'"x"', b"1", b"\xff\xfe{", b'{"keyword": "\\ud800"}', b" "]
        odd = [
            _raw(
                instance.port,
                _head("catalog_browse", f"Content-Length: {len(b)}\r\nConnection: close\r\n\r\n")
                + b,
            )
            for b in bodies
        ]
        lengths = [
            _raw(instance.port, _head("catalog_browse", f"Content-Length: {n}\r\n\r\n") + b"{}")
            for n in ("-1", "99999999999", "1e3", "0x10", str(7 * 1024 * 1024))
        ]
        second = b"POST /event-invoke HTTP/1.1\r\nHost: scf\r\nContent-Length: 2\r\n\r\n{}"
        framing = [
            _raw(instance.port, _head("catalog_browse", head) + b"{}" + second)
            for head in (
                "Content-Length: 2\r\nContent-Length: 0\r\n\r\n",  # two lengths
                "Transfer-Encoding:\r\nContent-Length: 2\r\n\r\n",  # an empty one
                "no colon here\r\nContent-Length: 2\r\n\r\n",  # headers that do not parse
            )
        ]
        alive = instance.invoke({}, _headers("catalog_browse"))["code"]
    finally:
        printed = instance.stop()
    for got in framing:  # refused and closed: the rest is never read as a request
        assert got.count(b"HTTP/1.") == 1 and got.split(b"\r\n")[0][9:12] in (b"400", b"411")
    assert deep.startswith(b"HTTP/1.1 200") and b"INVALID_ARGUMENT" in deep, (deep[:300], printed)
    assert chunked.count(b"HTTP/1.") == 1 and b" 411 " in chunked.split(b"\r\n")[0], chunked
    assert all(b" 405 " in got.split(b"\r\n")[0] for got in methods.values()), methods
    assert all(got.startswith(b"HTTP/1.1 200") and got.count(b"HTTP/1.") == 1 for got in odd), odd
    assert all(got.count(b"HTTP/1.") == 1 for got in lengths), lengths
    statuses = [got.split(b"\r\n")[0][9:12] for got in lengths]
    assert statuses == [b"400", b"400", b"400", b"400", b"413"], lengths
    assert alive == "OK" and "Traceback" not in printed, printed
