"""A MongoDB that does not answer is answered UNAVAILABLE (503) within the client's timeouts,
well before SCF's function timeout, instead of hanging for pymongo's 30 s default.

Only loopback addresses are used: a socket that accepts and never replies, and a closed port.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from retail.common.database import database, reset_database
from retail.common.errors import HTTP_STATUS, ErrorCode
from retail.common.settings import reset_settings
from retail.store import MongoLimits, mongo_options
from tests.functions.harness import handler, http_event

DEADLINE_SECONDS = 8.0  # the defaults give ~2 s; a hang (30 s) fails loudly


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A listening socket on 127.0.0.1 that completes TCP handshakes and never sends a byte."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield int(server.getsockname()[1])
    server.close()


def closed_port() -> int:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def production_on(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAIL_ENV", "prod")
    monkeypatch.setenv("RETAIL_SESSION_SECRET", "s" * 32)
    monkeypatch.setenv("RETAIL_DB_URI", f"mongodb://127.0.0.1:{port}/retail?directConnection=true")
    reset_settings()
    reset_database()


def timed_health_check(http: bool) -> tuple[dict, float]:
    event = http_event("{}") if http else {}
    started = time.monotonic()
    answer = handler("health_check")(event, {"request_id": "r-unreachable"})
    return answer, time.monotonic() - started


def test_a_silent_mongodb_answers_unavailable_before_the_function_timeout(
    silent_server, monkeypatch
):
    production_on(silent_server, monkeypatch)
    answer, elapsed = timed_health_check(http=False)
    assert answer["code"] == "UNAVAILABLE"
    assert answer["details"] == {"reason": "STORE_UNREACHABLE", "retry_after_seconds": 5}
    assert elapsed < DEADLINE_SECONDS, f"took {elapsed:.1f} s"


def test_a_closed_mongodb_port_is_http_503(monkeypatch):
    production_on(closed_port(), monkeypatch)
    reply, elapsed = timed_health_check(http=True)
    assert reply["statusCode"] == HTTP_STATUS[ErrorCode.UNAVAILABLE] == 503
    assert '"UNAVAILABLE"' in reply["body"]
    assert elapsed < DEADLINE_SECONDS, f"took {elapsed:.1f} s"


def test_the_invocations_time_limit_bounds_every_store_call(silent_server, monkeypatch):
    """Client timeouts far longer than the function's (a server selection of 30 s, a socket
    of 60 s): SCF's context bounds the call instead. The function is given 4 s and the bound
    checked is DEADLINE_SECONDS, far from the 30 s the client alone would wait, whatever the
    machine's speed."""
    production_on(silent_server, monkeypatch)
    monkeypatch.setenv("RETAIL_DB_SERVER_SELECTION_TIMEOUT_MS", "30000")
    monkeypatch.setenv("RETAIL_DB_CONNECT_TIMEOUT_MS", "30000")
    monkeypatch.setenv("RETAIL_DB_SOCKET_TIMEOUT_MS", "60000")
    reset_settings()
    reset_database()
    context = {"request_id": "r-deadline", "time_limit_in_ms": 4000}
    started = time.monotonic()
    answer = handler("health_check")({}, context)
    elapsed = time.monotonic() - started
    assert answer["code"] == "UNAVAILABLE"
    assert answer["details"]["retry_after_seconds"] == 5
    assert elapsed < DEADLINE_SECONDS, f"took {elapsed:.1f} s of a 4 s function"


def test_cursor_iteration_is_guarded_too(silent_server, monkeypatch):
    from retail.common.errors import Unavailable

    production_on(silent_server, monkeypatch)
    with pytest.raises(Unavailable):
        list(database().orders.find({}))


def test_the_client_options_fit_an_scf_instance():
    options = mongo_options(MongoLimits())
    function_timeout_ms = 10_000  # serverless.yml's shortest function timeout
    for name in ("serverSelectionTimeoutMS", "connectTimeoutMS", "socketTimeoutMS"):
        assert 0 < options[name] < function_timeout_ms, name
    assert options["serverSelectionTimeoutMS"] + options["connectTimeoutMS"] <= 4000
    assert options["maxPoolSize"] <= 10
    assert options["retryWrites"] is True and options["w"] == "majority"
    assert options["tz_aware"] is True


def test_one_client_per_instance(silent_server, monkeypatch):
    production_on(silent_server, monkeypatch)
    first = database()
    assert database() is first  # cached for the process: one client, one pool
    assert database().client._target is first.client._target  # the same MongoClient
