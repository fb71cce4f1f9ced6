"""A local WeChat Pay for dev and tests (WECHATPAY_MODE=sandbox, never in prod).

It checks our request signatures with the merchant public key, keeps transactions and refunds
in the store (so every gateway worker sees them), signs its answers and notifications with
its own platform key, and encrypts resources with the APIv3 key: the verify / decrypt /
apply path on our side is exactly the production code.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import parse_qs

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.database import database
from retail.payments import crypto
from retail.payments.config import wechatpay_config
from retail.payments.transport import Response
from retail.store import upserted

from . import wechatpay_bills as bills
from .platform_journal import record
from .wechatpay_combined import pay_combined
from .wechatpay_marketplace import marketplace_answer
from .wechatpay_wire import Sender, answer, deliver, notification, now, public, sandbox_keys

TRANSFERS = "/v3/fund-app/mch-transfer/transfer-bills"


class SandboxTransport:
    def send(self, method: str, path: str, body: str, headers: dict[str, str]) -> Response:
        """Answer as WeChat Pay would, and record the call in the platform journal."""
        route, _, query = path.partition("?")
        payload = json.loads(body) if body else {}
        reply = self._respond(method, path, body, headers)
        json_answer = reply.body and "json" in reply.headers.get("content-type", "")
        said = json.loads(reply.body) if json_answer else {}
        record(
            method,
            route,
            {k: v[0] for k, v in parse_qs(query).items()},
            payload or None,
            reply.status,
            {"code": said.get("code")} if isinstance(said, dict) and "code" in said else {},
        )
        return reply

    def _respond(self, method: str, path: str, body: str, headers: dict[str, str]) -> Response:
        if not self._genuine(method, path, body, headers):
            return answer(401, {"code": "SIGN_ERROR", "message": "bad merchant signature"})
        route, _, query = path.partition("?")
        payload = json.loads(body) if body else {}
        asked = {k: v[0] for k, v in parse_qs(query).items()}
        other = bills.bill_answer(method, route, asked) or marketplace_answer(
            method, route, payload, asked
        )
        if other is not None:
            return other
        if method == "POST" and route == "/v3/pay/transactions/jsapi":
            return self._prepay(payload)
        if method == "POST" and route.startswith("/v3/pay/transactions/out-trade-no/"):
            return self._close(route.split("/")[-2])
        if method == "GET" and route.startswith("/v3/pay/transactions/out-trade-no/"):
            return self._lookup({"_id": "pay:" + route.rsplit("/", 1)[1]}, "ORDER_NOT_EXIST")
        if method == "POST" and route == "/v3/refund/domestic/refunds":
            return self._refund(payload)
        if method == "POST" and route == TRANSFERS:
            return self._transfer(payload)
        if method == "GET" and route.startswith(TRANSFERS + "/out-bill-no/"):
            return self._lookup({"_id": "transfer:" + route.rsplit("/", 1)[1]}, "NOT_FOUND")
        if method == "GET" and route.startswith("/v3/refund/domestic/refunds/"):
            return self._lookup({"_id": "refund:" + route.rsplit("/", 1)[1]}, "RESOURCE_NOT_EXISTS")
        return answer(404, {"code": "NOT_FOUND", "message": f"no sandbox route {path}"})

    def _genuine(self, method: str, path: str, body: str, headers: dict[str, str]) -> bool:
        material = sandbox_keys()
        auth = crypto.parse_authorization(headers.get("Authorization", ""))
        return (
            auth.get("mchid") == material["mchid"]
            and auth.get("serial_no") == material["cert_serial"]
            and crypto.verify(
                crypto.load_public_key(material["merchant_pub"]),
                auth.get("signature", ""),
                method,
                path,
                auth.get("timestamp", ""),
                auth.get("nonce_str", ""),
                body,
            )
        )

    def _prepay(self, payload: dict[str, Any]) -> Response:
        key = "pay:" + payload["out_trade_no"]
        record = database().sandbox_wechatpay.find_one_and_update(
            {"_id": key},
            {
                "$setOnInsert": {
                    "kind": "transaction",
                    "appid": payload["appid"],
                    "mchid": payload["mchid"],
                    "out_trade_no": payload["out_trade_no"],
                    "trade_type": "JSAPI",
                    "trade_state": "NOTPAY",
                    "trade_state_desc": "未支付",
                    "payer": payload["payer"],
                    "amount": payload["amount"],
                    "notify_url": payload["notify_url"],
                    "prepay_id": "wx" + secrets.token_hex(16),
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        record = upserted(record)
        if record["trade_state"] == "SUCCESS":
            return answer(400, {"code": "ORDERPAID", "message": "该订单已支付"})
        return answer(200, {"prepay_id": record["prepay_id"]})

    def _close(self, out_trade_no: str) -> Response:
        """NOTPAY -> CLOSED; a paid transaction stays paid (and says so)."""
        key = "pay:" + out_trade_no
        store = database().sandbox_wechatpay
        store.update_one(
            {"_id": key, "trade_state": "NOTPAY"},
            {"$set": {"trade_state": "CLOSED", "trade_state_desc": "已关闭"}},
        )
        record = store.find_one({"_id": key}, {"trade_state": 1})
        if record is None:
            return answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        if record["trade_state"] == "SUCCESS":
            return answer(400, {"code": "ORDERPAID", "message": "该订单已支付"})
        return answer(204, None)

    def _refund(self, payload: dict[str, Any]) -> Response:
        paid = database().sandbox_wechatpay.find_one(
            {"_id": "pay:" + payload["out_trade_no"], "trade_state": "SUCCESS"}
        )
        if paid is None:
            return answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"})
        refused = _refund_refused(paid, payload)
        if refused:
            return answer(400, {"code": "INVALID_REQUEST", "message": refused})
        record = database().sandbox_wechatpay.find_one_and_update(
            {"_id": "refund:" + payload["out_refund_no"]},
            {
                "$setOnInsert": {
                    "kind": "refund",
                    "refund_id": "50" + secrets.token_hex(14),
                    "out_refund_no": payload["out_refund_no"],
                    "out_trade_no": payload["out_trade_no"],
                    "transaction_id": paid["transaction_id"],
                    "status": "PROCESSING",
                    "amount": payload["amount"],
                    "notify_url": payload.get("notify_url"),
                    "create_time": now(),
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        record = upserted(record)
        return answer(200, public(record))

    def _transfer(self, payload: dict[str, Any]) -> Response:
        """A merchant transfer bill (pay.weixin.qq.com/doc/v3/merchant/4012716434): checked as
        WeChat Pay documents it, the same out_bill_no with the same request is the same bill,
        and it waits for the payee (WAIT_USER_CONFIRM) with its package_info."""
        refused = _transfer_refused(payload)
        if refused:
            return answer(400, {"code": "PARAM_ERROR", "message": refused})
        key = "transfer:" + payload["out_bill_no"]
        asked = {k: payload.get(k) for k in ("openid", "transfer_amount", "appid")}
        store = database().sandbox_wechatpay
        record = store.find_one({"_id": key})
        if record is None:
            record = {
                "_id": key,
                "kind": "transfer",
                "out_bill_no": payload["out_bill_no"],
                "transfer_bill_no": "1330" + secrets.token_hex(14),
                "state": "WAIT_USER_CONFIRM",
                "package_info": "ABBQO+oYAAABAAAAAAAk" + secrets.token_hex(16),
                "mch_id": sandbox_keys()["mchid"],
                "create_time": now(),
                "update_time": now(),
                "notify_url": payload.get("notify_url"),
                **asked,
            }
            try:
                store.insert_one(record)
            except DuplicateKeyError:
                record = store.find_one({"_id": key}) or record
        if any(record.get(k) != v for k, v in asked.items()):
            return answer(400, {"code": "INVALID_REQUEST", "message": "单号已存在但信息不一致"})
        shown = ("out_bill_no", "transfer_bill_no", "create_time", "state", "package_info")
        return answer(200, {k: record[k] for k in shown if k in record})

    def _lookup(self, query: dict[str, Any], missing: str) -> Response:
        record = database().sandbox_wechatpay.find_one(query)
        if record is None:
            return answer(404, {"code": missing, "message": "不存在"})
        return answer(200, public(record))


def _refund_refused(paid: dict[str, Any], payload: dict[str, Any]) -> str | None:
    """WeChat Pay's rules for a refund (pay.weixin.qq.com/docs/merchant/apis/refund/refunds/
    create.html): `amount.total` is the original payment's total; the refunds of one payment
    together never exceed it; an out_refund_no sent again must ask for the same amount."""
    total, wanted = paid["amount"]["total"], payload["amount"]["refund"]
    if payload["amount"]["total"] != total:
        return "订单金额与原订单金额不一致"
    others = database().sandbox_wechatpay.find(
        {"kind": "refund", "out_trade_no": payload["out_trade_no"], "status": {"$ne": "CLOSED"}}
    )
    earlier = 0
    for other in others:
        if other["out_refund_no"] == payload["out_refund_no"]:
            if other["amount"]["refund"] != wanted:
                return "订单金额或退款金额与之前请求不一致"
            return None
        earlier += other["amount"]["refund"]
    if not 0 < wanted <= total - earlier:
        return "退款金额大于可退金额"
    return None


def pay(out_trade_no: str, duplicates: int = 1, send: Sender | None = None) -> list[int]:
    """The buyer pays: the transaction succeeds and its notification is sent `duplicates` times
    at once to our notify_url. Returns the HTTP statuses our endpoint answered (0: no answer).
    `send` replaces the HTTP delivery (the demo scenario routes it in-process). A combined
    transaction (marketplace mode) is paid whole."""
    combined = pay_combined(out_trade_no, duplicates, send)
    if combined is not None:
        return combined
    record = database().sandbox_wechatpay.find_one_and_update(
        {"_id": "pay:" + out_trade_no, "trade_state": "NOTPAY"},
        {
            "$set": {
                "trade_state": "SUCCESS",
                "trade_state_desc": "支付成功",
                "transaction_id": "42" + secrets.token_hex(13),
                "success_time": now(),
                "bank_type": "OTHERS",
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    record = record or database().sandbox_wechatpay.find_one({"_id": "pay:" + out_trade_no})
    if record is None or record["trade_state"] != "SUCCESS":
        raise LookupError(f"no sandbox payment for {out_trade_no}")
    resource = {
        **public(record),
        "amount": {
            **record["amount"],
            "payer_total": record["amount"]["total"],
            "payer_currency": "CNY",
        },
    }
    headers, body = notification("TRANSACTION.SUCCESS", "transaction", resource, "支付成功")
    return (send or deliver)(record["notify_url"], headers, body, duplicates)


def complete_refund(
    out_refund_no: str, status: str = "SUCCESS", send: Sender | None = None
) -> list[int]:
    """WeChat Pay finishes a refund (SUCCESS, ABNORMAL or CLOSED) and notifies us."""
    record = database().sandbox_wechatpay.find_one_and_update(
        {"_id": "refund:" + out_refund_no},
        {"$set": {"status": status, "success_time": now()}},
        return_document=ReturnDocument.AFTER,
    )
    if record is None:
        raise LookupError(f"no sandbox refund {out_refund_no}")
    mchid = wechatpay_config().mchid
    payer = "sp_mchid" if record.get("sub_mchid") else "mchid"  # a sub-merchant's refund
    resource = {payer: mchid, **public(record), "refund_status": status}
    headers, body = notification(f"REFUND.{status}", "refund", resource, "退款结果")
    return (send or deliver)(record["notify_url"], headers, body, 1)


def _transfer_refused(payload: dict[str, Any]) -> str | None:
    """WeChat Pay's rules for a transfer bill of scene 1005 (佣金报酬): the fields it requires,
    the two report items that scene asks, the payee's real name from 2,000 yuan."""
    number = str(payload.get("out_bill_no") or "")
    if not (number.isascii() and number.isalnum() and 0 < len(number) <= 32):
        return "out_bill_no 只能由数字、大小写字母组成, 最长 32 位"
    if payload.get("transfer_scene_id") != "1005":
        return "该转账场景不可用"
    infos = {i.get("info_type") for i in payload.get("transfer_scene_report_infos") or []}
    if infos != {"岗位类型", "报酬说明"}:
        return "未传入完整且对应的转账场景报备信息"
    amount = payload.get("transfer_amount")
    if not isinstance(amount, int) or amount < 10:
        return "超过单笔转账上下限"
    if not payload.get("openid") or not 0 < len(str(payload.get("transfer_remark") or "")) <= 32:
        return "openid, transfer_remark 必填"
    if amount >= 200_000:
        sealed = str(payload.get("user_name") or "")
        try:
            crypto.decrypt_sensitive(
                crypto.load_private_key(sandbox_keys()["platform_key"]), sealed
            )
        except (TypeError, ValueError):
            return "转账金额 >= 2,000 元时 user_name 必填, 用微信支付公钥加密"
    return None


def finish_transfer(out_bill_no: str, state: str, send: Sender | None = None) -> list[int]:
    """The payee confirmed (SUCCESS), or the bill failed or was cancelled (FAIL, CANCELLED):
    WeChat Pay notifies MCHTRANSFER.BILL.FINISHED. Raises LookupError for an unknown bill."""
    if state not in ("SUCCESS", "FAIL", "CANCELLED"):
        raise ValueError(f"not a final transfer state: {state}")
    fail = {"fail_reason": "OVERDUE_CLOSE"} if state == "FAIL" else {}
    record = database().sandbox_wechatpay.find_one_and_update(
        {"_id": "transfer:" + out_bill_no},
        {"$set": {"state": state, "update_time": now(), **fail}},
        return_document=ReturnDocument.AFTER,
    )
    if record is None:
        raise LookupError(f"no sandbox transfer {out_bill_no}")
    resource = {
        k: record.get(k)
        for k in (
            "out_bill_no",
            "transfer_bill_no",
            "state",
            "mch_id",
            "transfer_amount",
            "openid",
            "fail_reason",
            "create_time",
            "update_time",
        )
        if record.get(k) is not None
    }
    headers, body = notification(
        "MCHTRANSFER.BILL.FINISHED", "mch_payment", resource, "商家转账单据终态通知"
    )
    return (send or deliver)(record["notify_url"], headers, body, 1)
