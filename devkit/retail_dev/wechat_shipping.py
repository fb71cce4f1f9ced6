"""The local WeChat's order-shipping management (developers.weixin.qq.com/miniprogram/dev/
server/API/order_shipping/; the facts and addresses are in docs/decisions/
0020-wechat-shipping-information.md): a payment is one the local WeChat Pay took
(retail_dev.wechatpay_sandbox); its shipping information is checked field by field with the
documented errcodes, finishing shipping once, with one re-shipping allowed; the buyer's
receipt and WeChat's settlement are pushed to platform_event as WeChat pushes them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from retail.common.database import database

from .wechat_answers import OK, Answer, error
from .wechat_push_sender import Send, deliver_pushes, queue_push

# The sandbox's delivery-company list: codes as the order-shipping service's list names them
# (cgi-bin/express/delivery/open_msg/get_delivery_list; a live answer lists about 1,500).
COURIERS = (
    ("SF", "顺丰速运"),
    ("ZTO", "中通快递"),
    ("YTO", "圆通速递"),
    ("YD", "韵达速递"),
    ("STO", "申通快递"),
    ("JTSD", "极兔速递"),
    ("EMS", "EMS"),
    ("DBL", "德邦快递"),
)
_SF = "SF"
ORDERS = "sandbox_wechat_orders"  # the shipping state WeChat keeps per payment
# get_order's order_state: 1 待发货, 2 已发货, 3 确认收货, 4 交易完成 (settled), 5 已退款
WAITING, SHIPPED, RECEIVED, SETTLED, REFUNDED = 1, 2, 3, 4, 5


def _delivery_list(_body: dict[str, Any]) -> Answer:
    couriers = [{"delivery_id": code, "delivery_name": name} for code, name in COURIERS]
    return {**OK, "delivery_list": couriers, "count": len(couriers)}


def _is_trade_managed(body: dict[str, Any]) -> Answer:
    if not body.get("appid"):
        return error(40097, "invalid args")
    unmanaged = database()[ORDERS].find_one({"_id": "not_trade_managed"})
    return {**OK, "is_trade_managed": unmanaged is None}


def set_trade_managed(managed: bool) -> None:
    """Whether the mini-program is under WeChat's trade management (it is, by default); a
    shop whose category WeChat does not manage ships without WeChat holding its money."""
    if managed:
        database()[ORDERS].delete_one({"_id": "not_trade_managed"})
    else:
        database()[ORDERS].update_one(
            {"_id": "not_trade_managed"}, {"$set": {"at": int(time.time())}}, upsert=True
        )


def _set_msg_jump_path(body: dict[str, Any]) -> Answer:
    database()[ORDERS].update_one(
        {"_id": "msg_jump_path"}, {"$set": {"path": body.get("path", "")}}, upsert=True
    )
    return OK


def _payment(key: dict[str, Any]) -> dict[str, Any] | None:
    """The local WeChat Pay's successful payment an order key names, if any: a payment or a
    combined payment's sub-order (by its sub-merchant's mchid or the platform's)."""
    if key.get("order_number_type") == 2:
        found = _by_transaction(str(key["transaction_id"]))
    else:
        found = database().sandbox_wechatpay.find_one(
            {"_id": "pay:" + key["out_trade_no"], "mchid": key["mchid"]}
        ) or _sub_order_payment(out_trade_no=str(key["out_trade_no"]))
        if found and key["mchid"] not in (found["mchid"], found.get("sub_mchid")):
            found = None
    return found if found and found["trade_state"] == "SUCCESS" else None


def _by_transaction(transaction_id: str) -> dict[str, Any] | None:
    """The payment (or sub-order) WeChat Pay's transaction_id names: only that number."""
    payments = database().sandbox_wechatpay
    return payments.find_one(
        {"kind": "transaction", "transaction_id": transaction_id}
    ) or _sub_order_payment(transaction_id=transaction_id)


def _named(payment_id: str) -> dict[str, Any] | None:
    """The payment (or sub-order) named by its out_trade_no or transaction_id, where WeChat
    takes either (its confirmation component, opspecialorder)."""
    payments = database().sandbox_wechatpay
    return (
        payments.find_one({"_id": "pay:" + payment_id})
        or _by_transaction(payment_id)
        or _sub_order_payment(out_trade_no=payment_id)
    )


def _sub_order_payment(transaction_id: str = "", out_trade_no: str = "") -> dict[str, Any] | None:
    """A combined transaction's sub-order, named by its transaction_id or out_trade_no, in
    the shape of a single payment's record (each sub-order is a payment of its own, in its
    sub-merchant's account: trade management holds and settles it as such)."""
    key = "sub_orders.transaction_id" if transaction_id else "sub_orders.out_trade_no"
    wanted = transaction_id or out_trade_no
    if not wanted:
        return None
    combined = database().sandbox_wechatpay.find_one({"kind": "combined", key: wanted})
    for sub in (combined or {}).get("sub_orders", []):
        if wanted in (sub.get("transaction_id"), sub["out_trade_no"]):
            assert combined is not None
            return {
                "transaction_id": sub.get("transaction_id"),
                "out_trade_no": sub["out_trade_no"],
                "mchid": sub["mchid"],
                "sub_mchid": sub["sub_mchid"],
                "payer": {"openid": combined["combine_payer_info"]["openid"]},
                "amount": {"total": sub["amount"]["total_amount"]},
                "trade_state": sub["trade_state"],
                "success_time": sub.get("success_time"),
            }
    return None


def _fully_refunded(payment: dict[str, Any]) -> bool:
    refunds = database().sandbox_wechatpay.find(
        {"kind": "refund", "out_trade_no": payment["out_trade_no"], "status": "SUCCESS"}
    )
    refunded: int = sum(r["amount"]["refund"] for r in refunds)
    return refunded >= int(payment["amount"]["total"])


def _key_refused(key: Any) -> Answer | None:
    if not isinstance(key, dict) or key.get("order_number_type") not in (1, 2):
        return error(268485194, "订单单号类型非法")
    if key["order_number_type"] == 2 and not key.get("transaction_id"):
        return error(268485195, "微信支付单号形式下 transaction_id 字段不能为空")
    if key["order_number_type"] == 1 and not key.get("mchid"):
        return error(268485196, "商户侧单号形式下 mchid 字段不能为空")
    if key["order_number_type"] == 1 and not key.get("out_trade_no"):
        return error(268485197, "商户侧单号形式下 out_trade_no 字段不能为空")
    return None


def _upload_time(value: Any) -> datetime | None:
    """RFC 3339 with its offset, as 2022-12-15T13:29:35.120+08:00."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None and "T" in str(value) else None


def _shipping_refused(body: dict[str, Any]) -> Answer | None:
    """The documented checks of upload_shipping_info's fields, in its errcodes."""
    refused = _mode_refused(body)
    if refused:
        return refused
    parcels = body.get("shipping_list")
    if not isinstance(parcels, list) or not parcels:
        return error(10060014, "参数错误: shipping_list")
    if len(parcels) > 15:
        return error(10060024, "物流信息列表太长")
    if body["delivery_mode"] == 1 and len(parcels) != 1:
        return error(268485228, "统一发货模式下，物流信息列表长度必须为 1")
    for parcel in parcels:
        refused = _parcel_refused(parcel, body["logistics_type"])
        if refused:
            return refused
    if _upload_time(body.get("upload_time")) is None:
        return error(268485216, "上传时间非法，请按照 RFC 3339 格式填写")
    return None


def _mode_refused(body: dict[str, Any]) -> Answer | None:
    logistics, mode = body.get("logistics_type"), body.get("delivery_mode")
    if logistics not in (1, 2, 3, 4):
        return error(10060005, "物流类型有误")
    if mode not in (1, 2):
        return error(268485224, "发货模式非法")
    if mode == 2 and logistics != 1:
        return error(10060006, "非快递发货时不允许分拆发货")
    if mode == 2 and not isinstance(body.get("is_all_delivered"), bool):
        return error(10060007, "分拆发货模式下必须填写 is_all_delivered 字段")
    return None


def _parcel_refused(parcel: dict[str, Any], logistics: int) -> Answer | None:
    desc = parcel.get("item_desc")
    if not desc:
        return error(10060008, "商品描述 item_desc 字段不能为空")
    if len(desc) > 120:
        return error(10060009, "商品描述 item_desc 字段太长")
    if logistics != 1:
        return None
    if not parcel.get("tracking_no"):
        return error(268485226, "物流单号不能为空")
    if not parcel.get("express_company"):
        return error(268485227, "物流公司编码不能为空")
    if len(parcel["express_company"]) > 128:
        return error(10060025, "物流公司编码太长")
    if len(parcel["tracking_no"]) > 128:
        return error(10060026, "物流单号太长")
    if parcel["express_company"] not in dict(COURIERS):
        return error(10060014, "参数错误: express_company")
    contact = parcel.get("contact") or {}
    if parcel["express_company"] == _SF and not (
        contact.get("consignor_contact") or contact.get("receiver_contact")
    ):
        return error(10060014, "参数错误: 顺丰发货时联系方式必填")
    return None


def _upload_shipping_info(body: dict[str, Any]) -> Answer:
    key = body.get("order_key")
    refused = _key_refused(key) or _shipping_refused(body)
    if refused:
        return refused
    assert isinstance(key, dict)  # _key_refused answers any other
    payment = _payment(key)
    if payment is None:
        return error(10060001, "支付单不存在")
    if (body.get("payer") or {}).get("openid") != payment["payer"]["openid"]:
        return error(10060031, "该笔支付单不属于 openid 所指定的用户")
    if _fully_refunded(payment):
        return error(10060004, "支付单处于不可发货的状态")
    return _ship(payment, body)


def _ship(payment: dict[str, Any], body: dict[str, Any]) -> Answer:
    """First shipping, a split delivery's next parcels, or the one re-shipping."""
    orders = database()[ORDERS]
    tid = payment["transaction_id"]
    held = orders.find_one({"_id": tid}) or {"finish_shipping_count": 0}
    shipping = {
        k: body[k]
        for k in ("logistics_type", "delivery_mode", "shipping_list", "is_all_delivered")
        if k in body
    }
    finished = body["delivery_mode"] == 1 or bool(body.get("is_all_delivered"))
    now, before = _upload_time(body["upload_time"]), _upload_time(held.get("upload_time"))
    if now is not None and before is not None and now <= before:
        return error(268485216, "上传时间必须比之前的请求更新")
    if held["finish_shipping_count"]:
        if held["shipping"] == shipping:
            return error(10060023, "发货信息未更新")
        if held["finish_shipping_count"] >= 2:
            return error(10060003, "支付单已使用重新发货机会")
    count = held["finish_shipping_count"] + (1 if finished else 0)
    orders.update_one(
        {"_id": tid},
        {
            "$set": {
                "shipping": shipping,
                "finish_shipping_count": count,
                "upload_time": body["upload_time"],
                "out_trade_no": payment["out_trade_no"],
            }
        },
        upsert=True,
    )
    return OK


def _get_order(body: dict[str, Any]) -> Answer:
    tid = body.get("transaction_id")
    if tid:
        key = {"order_number_type": 2, "transaction_id": tid}
    else:
        key = {
            "order_number_type": 1,
            "mchid": body.get("merchant_id"),
            "out_trade_no": body.get("merchant_trade_no"),
        }
    payment = _payment(key) if key.get("transaction_id") or key.get("out_trade_no") else None
    if payment is None:
        return error(10060001, "支付单不存在")
    held = database()[ORDERS].find_one({"_id": payment["transaction_id"]}) or {}
    count = held.get("finish_shipping_count", 0)
    shipping = held.get("shipping") or {}
    order = {
        "transaction_id": payment["transaction_id"],
        "merchant_id": payment["mchid"],
        "sub_merchant_id": payment.get("sub_mchid", ""),
        "merchant_trade_no": payment["out_trade_no"],
        "openid": payment["payer"]["openid"],
        "paid_amount": payment["amount"]["total"],
        "order_state": held.get("order_state")
        or (REFUNDED if _fully_refunded(payment) else SHIPPED if count else WAITING),
        "shipping": {
            **{k: v for k, v in shipping.items() if k != "is_all_delivered"},
            "finish_shipping": bool(count),
            "finish_shipping_count": count,
        },
    }
    return {**OK, "order": order}


def confirm_receive(payment_id: str, settle: bool = True, send: Send | None = None) -> list[int]:
    """The buyer confirms receipt in WeChat's component (weappOrderConfirm) of the payment
    named by its out_trade_no or transaction_id: WeChat's order becomes 确认收货 and, settled at
    once as a manual receipt is, 交易完成; WeChat pushes trade_manage_order_settlement. The
    statuses platform_event answered. Raises LookupError for a payment WeChat does not have as
    shipped."""

    payment = _named(payment_id)
    held = database()[ORDERS].find_one({"_id": (payment or {}).get("transaction_id")}) or {}
    if payment is None or not held.get("finish_shipping_count"):
        raise LookupError(f"WeChat has no shipped payment {payment_id}")
    now = int(time.time())
    database()[ORDERS].update_one(
        {"_id": payment["transaction_id"]},
        {"$set": {"order_state": SETTLED if settle else RECEIVED, "received_at": now}},
    )
    received = {"confirm_receive_method": 2, "confirm_receive_time": now}
    queue_push(
        {
            "ToUserName": "gh_sandbox",
            "FromUserName": payment["payer"]["openid"],
            "CreateTime": now,
            "MsgType": "event",
            "Event": "trade_manage_order_settlement",
            "transaction_id": payment["transaction_id"],
            "merchant_id": payment["mchid"],
            "sub_merchant_id": payment.get("sub_mchid", ""),
            "merchant_trade_no": payment["out_trade_no"],
            "pay_time": now,
            "shipped_time": now,
            **(received | {"settlement_time": now} if settle else received),
        }
    )
    return deliver_pushes(send)


def _op_special_order(body: dict[str, Any]) -> Answer:
    kind = body.get("type")
    if kind not in (1, 2):
        return error(268546000, "type非法")
    payment = _named(str(body.get("order_id") or ""))
    if payment is None or payment["trade_state"] != "SUCCESS":
        return error(268546002, "账户不存在这个待发货单号")
    if kind == 1:
        paid = datetime.fromisoformat(payment["success_time"])
        delay_to = body.get("delay_to")
        if not isinstance(delay_to, int) or not (
            paid + timedelta(days=15)
            <= datetime.fromtimestamp(delay_to, paid.tzinfo)
            <= paid + timedelta(days=330)
        ):
            return error(268546001, "delay_to非法")
    return OK


ROUTES: dict[str, Callable[[dict[str, Any]], Answer]] = {
    "/cgi-bin/express/delivery/open_msg/get_delivery_list": _delivery_list,
    "/wxa/sec/order/is_trade_managed": _is_trade_managed,
    "/wxa/sec/order/upload_shipping_info": _upload_shipping_info,
    "/wxa/sec/order/get_order": _get_order,
    "/wxa/sec/order/set_msg_jump_path": _set_msg_jump_path,
    "/wxa/sec/order/opspecialorder": _op_special_order,
}
