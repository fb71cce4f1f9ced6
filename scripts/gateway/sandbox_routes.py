"""Dev-only routes that drive the WeChat Pay sandbox (RETAIL_ENV=dev, WECHATPAY_MODE=sandbox).

POST /dev/pay/<out_trade_no>/succeed[?duplicates=N]  the buyer pays; N notifications at once
POST /dev/refund/<out_refund_no>/<SUCCESS|ABNORMAL|CLOSED>  WeChat Pay finishes a refund
POST /dev/transfer/<out_bill_no>/<SUCCESS|FAIL|CANCELLED>  WeChat Pay ends a merchant transfer
POST /dev/wechat/push  the local WeChat sends every message push it holds (media checks, ...)
POST /dev/wechat/confirm_receive/<out_trade_no>  the buyer confirms receipt in WeChat's component
GET /dev/platform/calls[?path=<prefix>]  what the back end sent to WeChat and WeChat Pay
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from retail.common.errors import ErrorCode

from .routes import Reply, error_reply


def sandbox_route(path: str) -> Reply:
    from retail_dev import wechatpay_sandbox as sandbox  # only the dev gateway imports it

    route, _, query = path.partition("?")
    parts = route.strip("/").split("/")
    try:
        if len(parts) == 4 and parts[1] == "pay" and parts[3] == "succeed":
            duplicates = min(int(parse_qs(query).get("duplicates", ["1"])[0]), 50)
            statuses = sandbox.pay(parts[2], duplicates)
        elif len(parts) == 4 and parts[1] == "transfer":
            statuses = sandbox.finish_transfer(parts[2], parts[3])
        elif len(parts) == 4 and parts[1:3] == ["wechat", "confirm_receive"]:
            from retail_dev.wechat_shipping import confirm_receive

            statuses = confirm_receive(parts[3])
        elif parts[1:] == ["wechat", "push"]:
            from retail_dev.wechat_push_sender import deliver_pushes

            statuses = deliver_pushes()
        elif (
            len(parts) == 4
            and parts[1] == "refund"
            and parts[3] in ("SUCCESS", "ABNORMAL", "CLOSED")
        ):
            statuses = sandbox.complete_refund(parts[2], parts[3])
        else:
            return error_reply(ErrorCode.NOT_FOUND, f"no sandbox route {path}")
    except (LookupError, ValueError) as exc:
        return error_reply(ErrorCode.NOT_FOUND, str(exc))
    body = json.dumps({"code": "OK", "data": {"notifications_answered": statuses}}).encode()
    return Reply(200, body)


def journal_route(path: str) -> Reply:
    """The dev platform journal (docs/contract.md): every call, oldest first."""
    from retail_dev.platform_journal import calls

    route, _, query = path.partition("?")
    if route.strip("/") != "dev/platform/calls":
        return error_reply(ErrorCode.NOT_FOUND, f"no dev route {route}")
    prefix = parse_qs(query).get("path", [None])[0]
    body = {"code": "OK", "data": {"calls": calls(prefix)}}
    return Reply(200, json.dumps(body, ensure_ascii=False, default=str).encode())
