"""The local WeChat Pay's combined payments (合单支付) and its sub-merchants' refunds, for
marketplace mode (docs/decisions/0025), answered in the shapes of WeChat Pay's documents
(tests/golden/wechatpay/ keeps the examples)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.database import database
from retail.payments.transport import Response

from .wechatpay_wire import Sender, answer, deliver, notification, now, public, sandbox_keys

TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")  # out_trade_no, combine_out_trade_no


def is_active_sub_merchant(sub_mchid: str) -> bool:
    """A sub_mchid of 10 digits is an active 二级商户 of this platform (../shared/CONTRACT.md)."""
    return len(sub_mchid) == 10 and sub_mchid.isdigit()


def combined_prepay(payload: dict[str, Any]) -> Response:
    """合单下单 (pay.weixin.qq.com/docs/partner/apis/ecommerce-combine-payment/
    mini-program-prepay.html): checked as documented; the same combine_out_trade_no asked
    again with the same sub-orders is the same transaction."""
    refused = _combined_refused(payload)
    if refused:
        return answer(400, {"code": "PARAM_ERROR", "message": refused})
    key = "combine:" + payload["combine_out_trade_no"]
    store = database().sandbox_wechatpay
    asked = [_sub_order_asked(sub) for sub in payload["sub_orders"]]
    record = {
        "_id": key,
        "kind": "combined",
        "combine_appid": payload["combine_appid"],
        "combine_mchid": payload["combine_mchid"],
        "combine_out_trade_no": payload["combine_out_trade_no"],
        "combine_payer_info": {"openid": payload["combine_payer_info"]["openid"]},
        "sub_orders": [{**sub, "trade_type": "JSAPI", "trade_state": "NOTPAY"} for sub in asked],
        "notify_url": payload["notify_url"],
        "prepay_id": "up_wx" + secrets.token_hex(15),
    }
    try:
        store.insert_one(record)
    except DuplicateKeyError:
        record = store.find_one({"_id": key}) or record
    kept = [{k: v for k, v in sub.items() if k in asked[0]} for sub in record["sub_orders"]]
    if kept != asked:
        return answer(
            400, {"code": "INVALID_REQUEST", "message": "商户订单号重复,请求参数与首次不一致"}
        )
    if any(sub["trade_state"] == "SUCCESS" for sub in record["sub_orders"]):
        return answer(400, {"code": "ORDERPAID", "message": "该订单已支付"})
    return answer(200, {"prepay_id": record["prepay_id"]})


def _sub_order_asked(sub: dict[str, Any]) -> dict[str, Any]:
    shown = ("mchid", "sub_mchid", "out_trade_no", "attach", "description", "settle_info")
    return {**{k: sub.get(k) for k in shown}, "amount": dict(sub["amount"])}


def _combined_refused(payload: dict[str, Any]) -> str | None:
    """The rules the document states: up to 50 sub-orders, each of this platform, into an
    active sub-merchant of it (one sub-order each), with attach and a positive amount."""
    mchid = sandbox_keys()["mchid"]
    subs = payload.get("sub_orders") or []
    if payload.get("combine_mchid") != mchid or not payload.get("combine_appid"):
        return "combine_mchid 与 combine_appid 必须是发起方的"
    if not TRADE_NO.match(str(payload.get("combine_out_trade_no") or "")):
        return "combine_out_trade_no 只能是数字、大小写字母_-|*, 6 到 32 位"
    if not 1 <= len(subs) <= 50:
        return "sub_orders 最多支持商品单条数:50"
    if not (payload.get("combine_payer_info") or {}).get("openid"):
        return "combine_payer_info.openid 必填"
    if not payload.get("time_expire") or not payload.get("notify_url"):
        return "time_expire, notify_url 必填"
    sub_merchants = [sub.get("sub_mchid") for sub in subs]
    if len(set(sub_merchants)) != len(sub_merchants):
        return "合单中同一个二级商户只允许有一笔子订单"
    return next(filter(None, (_sub_order_refused(sub, mchid) for sub in subs)), None)


def _sub_order_refused(sub: dict[str, Any], mchid: str) -> str | None:
    amount = sub.get("amount") or {}
    if sub.get("mchid") != mchid or not is_active_sub_merchant(str(sub.get("sub_mchid"))):
        return f"sub_mchid {sub.get('sub_mchid')} 不是该平台的二级商户"
    if not TRADE_NO.match(str(sub.get("out_trade_no") or "")):
        return "out_trade_no 只能是数字、大小写字母_-|*, 6 到 32 位"
    if not 0 < len(str(sub.get("attach") or "")) <= 128:
        return "attach 必填, 最长 128"
    if not 0 < len(str(sub.get("description") or "")) <= 127:
        return "description 必填, 最长 127"
    total = amount.get("total_amount")
    if not isinstance(total, int) or total <= 0 or amount.get("currency", "CNY") != "CNY":
        return "amount.total_amount 必须是正整数(分)"
    subsidy = (sub.get("settle_info") or {}).get("subsidy_amount", 0)
    if not isinstance(subsidy, int) or subsidy < 0:
        return "settle_info.subsidy_amount 必须是非负整数(分)"
    return None


def show_combined(number: str) -> Response:
    record = database().sandbox_wechatpay.find_one({"_id": "combine:" + number})
    if record is None:
        return answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
    return answer(200, _combined_view(record))


def _combined_view(record: dict[str, Any]) -> dict[str, Any]:
    """What WeChat Pay shows of a combined transaction: each sub-order with the amounts it
    paid, no prepay or notify URL."""
    subs = []
    for sub in record["sub_orders"]:
        shown = {k: v for k, v in sub.items() if k not in ("description", "settle_info")}
        paid = sub["amount"]["total_amount"] if sub["trade_state"] == "SUCCESS" else 0
        shown["amount"] = {**sub["amount"], "payer_amount": paid, "payer_currency": "CNY"}
        subs.append(shown)
    hidden = ("_id", "kind", "notify_url", "prepay_id", "sub_orders")
    return {**{k: v for k, v in record.items() if k not in hidden}, "sub_orders": subs}


def close_combined(number: str, payload: dict[str, Any]) -> Response:
    """合单关单: every sub-order as it was ordered, or nothing (「不支持关闭部分商品单」)."""
    store = database().sandbox_wechatpay
    record = store.find_one({"_id": "combine:" + number})
    if record is None:
        return answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
    named = {
        (s.get("mchid"), s.get("out_trade_no"), s.get("sub_mchid"))
        for s in payload.get("sub_orders") or []
    }
    ordered = {(s["mchid"], s["out_trade_no"], s["sub_mchid"]) for s in record["sub_orders"]}
    if named != ordered or payload.get("combine_appid") != record["combine_appid"]:
        message = "输入的请求非法,请求关单的子单信息与下单时的子单信息不一致"
        return answer(400, {"code": "INVALID_REQUEST", "message": message})
    if any(sub["trade_state"] == "SUCCESS" for sub in record["sub_orders"]):
        return answer(400, {"code": "ORDERPAID", "message": "该订单已支付"})
    closed = [{**sub, "trade_state": "CLOSED"} for sub in record["sub_orders"]]
    store.update_one(
        {"_id": record["_id"], "sub_orders.trade_state": {"$ne": "SUCCESS"}},
        {"$set": {"sub_orders": closed}},
    )
    return answer(204, None)


def pay_combined(number: str, duplicates: int, send: Sender | None) -> list[int] | None:
    """The buyer pays a combined transaction: every sub-order succeeds at once and one
    TRANSACTION.SUCCESS is sent (its resource as in the document's example). None when no
    combined transaction has that number."""
    store = database().sandbox_wechatpay
    record = store.find_one({"_id": "combine:" + number})
    if record is None:
        return None
    if all(sub["trade_state"] == "NOTPAY" for sub in record["sub_orders"]):
        paid = [
            {
                **sub,
                "trade_state": "SUCCESS",
                "bank_type": "OTHERS",
                "success_time": now(),
                "transaction_id": "42" + secrets.token_hex(13),
            }
            for sub in record["sub_orders"]
        ]
        record = (
            store.find_one_and_update(
                {"_id": record["_id"], "sub_orders.trade_state": {"$ne": "SUCCESS"}},
                {"$set": {"sub_orders": paid}},
                return_document=ReturnDocument.AFTER,
            )
            or store.find_one({"_id": record["_id"]})
            or record
        )
    if not all(sub["trade_state"] == "SUCCESS" for sub in record["sub_orders"]):
        raise LookupError(f"combined transaction {number} cannot be paid now")
    headers, body = notification(
        "TRANSACTION.SUCCESS", "transaction", _combined_view(record), "支付成功"
    )
    return (send or deliver)(record["notify_url"], headers, body, duplicates)


def refund(payload: dict[str, Any]) -> Response:
    """A sub-merchant's refund of its sub-order (pay.weixin.qq.com/wiki/doc/apiv3_partner/
    apis/chapter7_6_1.shtml): `amount.total` is the sub-order's; its refunds together never
    exceed it; an out_refund_no asked again is the same refund."""
    store = database().sandbox_wechatpay
    number = str(payload.get("out_trade_no") or "")
    combined = store.find_one({"kind": "combined", "sub_orders.out_trade_no": number})
    sub = next(
        (s for s in (combined or {}).get("sub_orders", []) if s["out_trade_no"] == number), None
    )
    if combined is None or sub is None or sub["trade_state"] != "SUCCESS":
        return answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"})
    if (
        payload.get("sub_mchid") != sub["sub_mchid"]
        or payload.get("sp_appid") != combined["combine_appid"]
    ):
        return answer(403, {"code": "NO_AUTH", "message": "二级商户号与订单不匹配"})
    refused = _refund_refused(sub, payload)
    if refused:
        return answer(400, {"code": "INVALID_REQUEST", "message": refused})
    record = store.find_one_and_update(
        {"_id": "refund:" + payload["out_refund_no"]},
        {
            "$setOnInsert": {
                "kind": "refund",
                "refund_id": "50" + secrets.token_hex(14),
                "out_refund_no": payload["out_refund_no"],
                "out_trade_no": number,
                "sub_mchid": sub["sub_mchid"],
                "sp_mchid": combined["combine_mchid"],
                "transaction_id": sub["transaction_id"],
                "status": "PROCESSING",
                "amount": {**payload["amount"], "currency": "CNY"},
                "notify_url": payload.get("notify_url"),
                "create_time": now(),
            }
        },
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert record is not None
    return answer(
        200,
        {
            "refund_id": record["refund_id"],
            "out_refund_no": record["out_refund_no"],
            "create_time": record["create_time"],
            "amount": {
                "refund": record["amount"]["refund"],
                "payer_refund": record["amount"]["refund"],
                "discount_refund": 0,
                "currency": "CNY",
            },
            "refund_account": "REFUND_SOURCE_SUB_MERCHANT",
        },
    )


def _refund_refused(sub: dict[str, Any], payload: dict[str, Any]) -> str | None:
    total, wanted = sub["amount"]["total_amount"], (payload.get("amount") or {}).get("refund")
    if (payload.get("amount") or {}).get("total") != total:
        return "订单金额与原订单金额不一致"
    if not isinstance(wanted, int):
        return "amount.refund 必填"
    earlier = 0
    others = database().sandbox_wechatpay.find(
        {"kind": "refund", "out_trade_no": sub["out_trade_no"], "status": {"$ne": "CLOSED"}}
    )
    for other in others:
        if other["out_refund_no"] == payload["out_refund_no"]:
            same = other["amount"]["refund"] == wanted
            return None if same else "订单金额或退款金额与之前请求不一致"
        earlier += other["amount"]["refund"]
    if not 0 < wanted <= total - earlier:
        return "退款金额大于可退金额"
    return None


def refund_of(out_refund_no: str, sub_mchid: str) -> Response:
    record = database().sandbox_wechatpay.find_one({"_id": "refund:" + out_refund_no})
    if record is None or record.get("sub_mchid") != sub_mchid:
        return answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
    return answer(200, public(record))
