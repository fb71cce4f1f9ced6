"""The WeChat Pay API v3 calls we make, over whichever transport it is given (HTTPS, or the
local sandbox; connect.py chooses): same signing, same response verification, same error
handling either way. It knows no transport by name."""

from __future__ import annotations

import json
import time
import urllib.parse
from datetime import datetime
from typing import Any

from retail.common.errors import Conflict, UpstreamUnavailable
from retail.common.logs import log

from . import crypto
from .config import WeChatPayConfig
from .transport import Transport
from .verification import Rejected, check_signed


class WeChatPayClient:
    def __init__(self, config: WeChatPayConfig, transport: Transport) -> None:
        self.config, self.transport = config, transport

    def jsapi_prepay(
        self,
        *,
        out_trade_no: str,
        description: str,
        amount: int,
        openid: str,
        time_expire: datetime,
    ) -> str:
        """The prepay_id for a JSAPI (mini-program) payment. Raises Conflict if already paid."""
        answer = self.call(
            "POST",
            "/v3/pay/transactions/jsapi",
            {
                "appid": self.config.appid,
                "mchid": self.config.mchid,
                "description": description[:127],
                "out_trade_no": out_trade_no,
                "time_expire": time_expire.isoformat(timespec="seconds"),
                "notify_url": self.config.notify_url,
                "amount": {"total": amount, "currency": "CNY"},
                "payer": {"openid": openid},
            },
        )
        return str((answer or {})["prepay_id"])

    def query_payment(self, out_trade_no: str) -> dict[str, Any] | None:
        """The transaction as WeChat Pay knows it; None if it has never heard of it."""
        path = (
            f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(out_trade_no)}"
            f"?mchid={self.config.mchid}"
        )
        return self.call("GET", path, None, missing_ok=True)

    def close_transaction(self, out_trade_no: str) -> None:
        """Close an unpaid transaction so WeChat Pay takes no money for it any more (API v3
        close-order, 204 No Content). A refusal (already paid, already closed) is not an
        error here: the caller queries the transaction to learn how it ended."""
        path = f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(out_trade_no)}/close"
        self.call("POST", path, {"mchid": self.config.mchid}, refusal_ok=True)

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, refund: int, total: int, reason: str
    ) -> dict[str, Any]:
        answer = self.call(
            "POST",
            "/v3/refund/domestic/refunds",
            {
                "out_trade_no": out_trade_no,
                "out_refund_no": out_refund_no,
                "reason": reason[:80],
                "notify_url": self.config.refund_notify_url,
                "amount": {"refund": refund, "total": total, "currency": "CNY"},
            },
        )
        return answer or {}

    def query_refund(self, out_refund_no: str) -> dict[str, Any] | None:
        path = f"/v3/refund/domestic/refunds/{urllib.parse.quote(out_refund_no)}"
        return self.call("GET", path, None, missing_ok=True)

    def create_transfer_bill(
        self, *, out_bill_no: str, openid: str, amount: int, user_name: str | None
    ) -> dict[str, Any]:
        """A merchant transfer (商家转账) of a promoter's commission to their WeChat balance:
        scene 1005 佣金报酬 with the report information it requires
        (pay.weixin.qq.com/doc/v3/merchant/4012716434; decision 0023)."""
        payload: dict[str, Any] = {
            "appid": self.config.appid,
            "out_bill_no": out_bill_no,
            "transfer_scene_id": "1005",
            "openid": openid,
            "transfer_amount": amount,
            "transfer_remark": "推广佣金提现",
            "notify_url": self.config.transfer_notify_url,
            "transfer_scene_report_infos": [
                {"info_type": "岗位类型", "info_content": "推广员"},
                {"info_type": "报酬说明", "info_content": "推广订单佣金"},
            ],
        }
        if user_name:  # sealed with the key Wechatpay-Serial names (_call: the public key)
            keys = self.config.verify_keys
            named = sorted(k for k in keys if k.startswith("PUB_KEY_ID_")) or sorted(keys)
            payload["user_name"] = crypto.encrypt_sensitive(keys[named[0]], user_name)
        bills = "/v3/fund-app/mch-transfer/transfer-bills"
        return self.call("POST", bills, payload, refusal_ok=True) or {}

    def query_transfer_bill(self, out_bill_no: str) -> dict[str, Any] | None:
        """The bill as WeChat Pay knows it; None if it never heard of it."""
        bills = "/v3/fund-app/mch-transfer/transfer-bills"
        path = f"{bills}/out-bill-no/{urllib.parse.quote(out_bill_no)}"
        return self.call("GET", path, None, missing_ok=True)

    def download(self, url: str) -> str:
        """A bill file at its `download_url`: the request is signed as any other, but the
        answer carries no Wechatpay signature (「该接口响应的信息请求头中不包含微信接口响应的签名值,
        因此需要跳过验签的流程」); the caller checks the file against its hash instead.
        Raises UpstreamUnavailable for anything but the file."""
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url
        headers = {
            "Authorization": crypto.authorization(
                self.config.private_key,
                self.config.mchid,
                self.config.cert_serial,
                "GET",
                path,
                "",
                int(time.time()),
            ),
            "Accept": "*/*",
            "User-Agent": "retail-backend",
        }
        response = self.transport.send("GET", path, "", headers)
        if response.status != 200 or "json" in response.headers.get("content-type", ""):
            log("wechatpay_bill_download_failed", "WARNING", status=response.status)
            raise UpstreamUnavailable(f"WeChat Pay's bill did not download ({response.status})")
        return response.body

    def call(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None,
        missing_ok: bool = False,
        refusal_ok: bool = False,
    ) -> dict[str, Any] | None:
        """One signed call, its answer verified. None: 404 where `missing_ok`; a 4xx answer
        where `refusal_ok` (its `code` says why); raises UpstreamUnavailable otherwise, or
        Conflict for ORDERPAID."""
        body = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
        headers = {
            "Authorization": crypto.authorization(
                self.config.private_key,
                self.config.mchid,
                self.config.cert_serial,
                method,
                path,
                body,
                int(time.time()),
            ),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "retail-backend",
        }
        public_key_ids = [k for k in self.config.verify_keys if k.startswith("PUB_KEY_ID_")]
        if public_key_ids:
            headers["Wechatpay-Serial"] = public_key_ids[0]
        response = self.transport.send(method, path, body, headers)
        if response.status == 404 and missing_ok:
            return None
        try:
            check_signed(self.config, response.headers, response.body)
        except Rejected as exc:
            log("wechatpay_response_rejected", "ERROR", path=path, reason=str(exc))
            raise UpstreamUnavailable("WeChat Pay's answer could not be verified") from None
        answer: dict[str, Any] = json.loads(response.body) if response.body else {}
        if 400 <= response.status < 500 and refusal_ok:
            log("wechatpay_refusal_noted", path=path, error=answer.get("code"))
            return answer
        if response.status >= 300:
            log(
                "wechatpay_refused",
                "WARNING",
                path=path,
                status=response.status,
                error=answer.get("code"),
                message=answer.get("message"),
            )
            if answer.get("code") == "ORDERPAID":
                raise Conflict("this order is already paid")
            raise UpstreamUnavailable(f"WeChat Pay refused: {answer.get('code', response.status)}")
        return answer
