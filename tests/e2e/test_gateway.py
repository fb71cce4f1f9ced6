"""The dev gateway over real HTTP, as a new user meets it."""

from __future__ import annotations

import multiprocessing
import re
import time
import urllib.error
import urllib.request

from retail.store import connect

from .conftest import Gateway


def test_catalog_browse_answers_demo_items(gateway: Gateway):
    status, answer = gateway.post("/fn/catalog_browse", {}, {"X-Dev-Openid": "o1"})
    assert status == 200 and answer["code"] == "OK"
    assert len(answer["data"]["items"]) == 20 and answer["data"]["has_more"] is True


def test_non_object_body_is_400_invalid_argument(gateway: Gateway):
    for raw in (b"[1]", b"nonsense", b'"x"'):
        status, answer = gateway.post("/fn/catalog_browse", raw=raw)
        assert (status, answer["code"]) == (400, "INVALID_ARGUMENT"), raw


def test_unknown_function_is_404(gateway: Gateway):
    assert gateway.post("/fn/no_such_function")[0] == 404
    assert gateway.post("/nowhere/at_all")[0] == 404


def test_identity_needed_but_missing_is_401(gateway: Gateway):
    status, answer = gateway.post("/fn/user_me", {})
    assert (status, answer["code"]) == (401, "UNAUTHENTICATED")


def test_an_openid_in_the_body_is_refused_and_never_taken_as_identity(gateway: Gateway):
    status, answer = gateway.post(
        "/fn/user_login", {"openid": "o-victim"}, {"X-Dev-Openid": "o-me"}
    )
    assert status == 400 and answer["details"]["problems"][0]["field"] == "openid"
    status, answer = gateway.post("/fn/user_login", {}, {"X-Dev-Openid": "o-me"})
    assert status == 200 and answer["data"]["user"]["openid"] == "o-me"
    status, _ = gateway.post("/fn/user_me", {"openid": "o-victim"})
    assert status == 401


def test_body_over_one_mebibyte_is_413(gateway: Gateway):
    status, answer = gateway.post("/fn/catalog_browse", raw=b" " * (1024 * 1024 + 10))
    assert (status, answer["code"]) == (413, "PAYLOAD_TOO_LARGE")


def test_http_and_timer_routes_reach_the_function(gateway: Gateway):
    status, answer = gateway.post("/http/catalog_product", {"product_id": "p-mango"})
    assert status == 200 and answer["data"]["product_id"] == "p-mango"
    status, answer = gateway.post("/timer/catalog_browse", raw=b"")
    assert status == 200 and answer["code"] == "OK"


def test_http_login_with_code_then_token(gateway: Gateway):
    status, answer = gateway.post("/http/user_login", {"code": "dev:o-e2e-http"})
    token = answer["data"]["session_token"]
    status, me = gateway.post("/http/user_me", {}, {"Authorization": f"Bearer {token}"})
    assert status == 200 and me["data"]["openid"] == "o-e2e-http"


def test_each_call_is_logged_with_status_and_milliseconds(gateway: Gateway):
    gateway.post("/fn/store_nearby", {"latitude": 25.04, "longitude": 102.71})
    deadline = time.monotonic() + 5  # the line is written just after the reply is sent
    while time.monotonic() < deadline:
        lines = [line for line in gateway.log_lines() if "/fn/store_nearby" in line]
        if lines:
            break
        time.sleep(0.02)
    assert lines and re.search(r"POST /fn/store_nearby 200 \d+\.\dms", lines[-1])


def test_dev_headers_do_nothing_outside_dev(prod_gateway: Gateway):
    status, answer = prod_gateway.post("/fn/user_me", {}, {"X-Dev-Openid": "o-attacker"})
    assert (status, answer["code"]) == (401, "UNAUTHENTICATED")
    status, _ = prod_gateway.post("/http/user_me", {}, {"X-Dev-Openid": "o-attacker"})
    assert status == 401
    status, answer = prod_gateway.post("/fn/user_login", {}, {"X-Dev-Openid": "o-attacker"})
    assert status == 401


def _login_many(url: str, openid: str, times: int) -> int:
    ok = 0
    for _ in range(times):
        request = urllib.request.Request(
            url + "/fn/user_login", data=b"{}", method="POST", headers={"X-Dev-Openid": openid}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            ok += response.status == 200
    return ok


def test_first_logins_racing_from_processes_make_one_user(gateway: Gateway):
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        results = pool.starmap(_login_many, [(gateway.url, "o-racer", 10)] * 6)
    assert sum(results) == 60
    users = connect(gateway.db_uri).users
    assert users.count_documents({"_id": "o-racer"}) == 1
    assert users.find_one({"_id": "o-racer"})["login_count"] == 60


def test_the_console_is_served_and_nothing_else_from_disk(gateway: Gateway):
    def get(path: str) -> tuple[int, bytes, str]:
        try:
            with urllib.request.urlopen(gateway.url + path, timeout=30) as response:
                return response.status, response.read(), response.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers["Content-Type"]

    status, body, kind = get("/console/")
    assert status == 200 and kind.startswith("text/html") and b"app.js" in body
    assert get("/console/app.js")[2].startswith("text/javascript")
    for path in ("/console/../functions/user_me/index.py", "/console/package.json", "/console/x"):
        assert get(path)[0] == 404
