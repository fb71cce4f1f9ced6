"""code2session: errcode handling shared by the fake and the real HTTPS transport."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from retail.adapters.wechat import HttpsTransport, WeChatApi
from retail.common.errors import InvalidArgument, UpstreamUnavailable


class ScriptedTransport:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def get_json(self, path, params):
        self.calls += 1
        return self.answers.pop(0)


def test_busy_is_retried_once_then_succeeds():
    transport = ScriptedTransport({"errcode": -1}, {"openid": "o1", "session_key": "k"})
    assert WeChatApi(transport, "wx", "s").code2session("c").openid == "o1"
    assert transport.calls == 2


def test_busy_twice_is_upstream_unavailable():
    transport = ScriptedTransport({"errcode": -1}, {"errcode": -1})
    with pytest.raises(UpstreamUnavailable):
        WeChatApi(transport, "wx", "s").code2session("c")
    assert transport.calls == 2


@pytest.fixture
def wechat_server():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlparse(self.path)
            seen.append((url.path, parse_qs(url.query)))
            code = parse_qs(url.query)["js_code"][0]
            body = (
                {"errcode": 40029, "errmsg": "invalid code"}
                if code == "used"
                else {"openid": "o-live", "session_key": "sk", "unionid": "u1"}
            )
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()


def test_https_transport_sends_wechats_exact_query(wechat_server):
    base, seen = wechat_server
    api = WeChatApi(HttpsTransport(base, 2.0), "wx-app", "secret")
    session = api.code2session("abc")
    assert (session.openid, session.unionid) == ("o-live", "u1")
    path, query = seen[0]
    assert path == "/sns/jscode2session"
    assert query == {
        "appid": ["wx-app"],
        "secret": ["secret"],
        "js_code": ["abc"],
        "grant_type": ["authorization_code"],
    }
    with pytest.raises(InvalidArgument):
        api.code2session("used")


def test_unreachable_wechat_is_upstream_unavailable():
    with pytest.raises(UpstreamUnavailable):
        WeChatApi(HttpsTransport("http://127.0.0.1:9", 0.5), "wx", "s").code2session("c")
