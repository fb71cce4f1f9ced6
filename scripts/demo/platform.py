"""How the demo's shoppers, operators and timers reach the functions: each call routed exactly
as the dev gateway routes it, without a server, and the local WeChat Pay's and WeChat's
notifications delivered to their routes in-process."""

from __future__ import annotations

import json
import zlib
from typing import Any
from urllib.parse import urlencode, urlsplit

from gateway.functions import FunctionRegistry
from gateway.routes import dispatch
from retail_dev import wechat_shipping
from retail_dev import wechatpay_sandbox as sandbox

REGISTRY = FunctionRegistry()


def _post(
    path: str, body: bytes, headers: dict[str, str], peer: str = "127.0.0.1"
) -> dict[str, Any]:
    """One call routed exactly as the dev gateway routes it, without a server; `peer` is the
    client address the platform would see."""
    reply = dispatch(REGISTRY, True, "POST", path, headers, body, peer)
    answer: dict[str, Any] = json.loads(reply.body)
    return answer


def call(name: str, data: Any, openid: str | None = None) -> dict[str, Any]:
    """A CloudBase call by `openid` (anonymous without one), each buyer from its own network."""
    headers = {"x-dev-openid": openid} if openid else {}
    network = zlib.crc32((openid or "").encode())
    peer = f"10.9.{network // 250 % 250}.{network % 250 + 1}"
    return _post(f"/fn/{name}", json.dumps(data).encode(), headers, peer)


def as_admin(name: str, data: Any) -> dict[str, Any]:
    return _post(f"/fn/{name}", json.dumps(data).encode(), {"x-dev-operator": "demo:admin"})


def notify(url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
    """The sandbox's signed notifications, delivered to our notify route in-process."""
    path = urlsplit(url).path
    return [dispatch(REGISTRY, True, "POST", path, headers, body.encode()).status] * times


def push(query: dict[str, str], body: str) -> int:
    """The local WeChat's message push, delivered to platform_event in-process."""
    path = f"/http/platform_event?{urlencode(query)}"
    headers = {"content-type": "application/json"}
    return dispatch(REGISTRY, True, "POST", path, headers, body.encode()).status


def receive(order: dict[str, Any], buyer: str) -> None:
    """The buyer confirms receipt: in WeChat's component where WeChat holds the payment (the
    back end names it; a marketplace order's payments one by one), whose settlement push
    completes the order, then in the app."""
    asked: set[str] = set()
    confirmed = call("order_confirm", {"order_id": order["order_id"]}, buyer)
    while confirmed.get("details", {}).get("reason") == "CONFIRM_AT_WECHAT":
        payment = confirmed["details"]["transaction_id"]
        if payment in asked:  # WeChat has not taken the confirmation: leave it
            return
        asked.add(payment)
        wechat_shipping.confirm_receive(payment, send=push)
        confirmed = call("order_confirm", {"order_id": order["order_id"]}, buyer)


def pay(order: dict[str, Any], buyer: str) -> bool:
    """The buyer pays in the WeChat Pay sandbox: prepay, then its verified notification."""
    if call("payment_prepay", {"order_id": order["order_id"]}, buyer)["code"] != "OK":
        return False
    return sandbox.pay(order["out_trade_no"], send=notify) == [200]


def timer(name: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
    return _post(f"/timer/{name}", json.dumps(message).encode() if message else b"", {})
