"""The local WeChat Pay's 平台收付通 after payment (docs/decisions/0025): subsidies (补差)
paid or cancelled, the platform's split (请求分账) with its finish, the finish alone, and
their query, with the rules the documents state and the refusals they name
(tests/golden/wechatpay/ keeps the examples). A split is PROCESSING when asked and FINISHED
at the first query, as WeChat Pay's asynchronous processing ends."""

from __future__ import annotations

import secrets
from typing import Any

from pymongo.errors import DuplicateKeyError

from retail.common.database import database
from retail.payments.transport import Response

from .wechatpay_wire import answer, now, sandbox_keys

MAX_SHARE_BP = 3000  # 「目前默认最高分账比例30%」


def subsidy(payload: dict[str, Any]) -> Response:
    """请求补差: the declared amount, once per order; the same request again is the same."""
    found = _paid_sub_order(payload)
    if isinstance(found, Response):
        return found
    sub = found
    state = _state(sub)
    declared = (sub.get("settle_info") or {}).get("subsidy_amount", 0)
    paid = state.get("subsidy")
    if paid is not None:
        if paid.get("out_subsidy_no") != payload.get("out_subsidy_no") or paid[
            "amount"
        ] != payload.get("amount"):
            return _invalid("一笔订单只能补差一笔")
        return answer(200, paid)
    if state.get("subsidy_cancelled"):
        return _invalid("该订单已取消补差")
    if payload.get("amount") != declared or not declared:
        return _invalid("补差金额需要和下单的时候的补差金额保持一致")
    paid = {
        "sub_mchid": sub["sub_mchid"],
        "transaction_id": sub["transaction_id"],
        "subsidy_id": "30" + secrets.token_hex(13),
        "description": payload.get("description"),
        "amount": declared,
        "result": "SUCCESS",
        "success_time": now(),
        "out_subsidy_no": payload.get("out_subsidy_no"),
    }
    if not _change(sub, {"subsidy": paid}, unless="subsidy"):
        return answer(200, _state(sub)["subsidy"])  # a concurrent request paid it
    return answer(200, paid)


def cancel_subsidy(payload: dict[str, Any]) -> Response:
    """取消补差: only for an order a refund gave back, before any subsidy or split."""
    found = _paid_sub_order(payload)
    if isinstance(found, Response):
        return found
    sub = found
    refunds = database().sandbox_wechatpay.count_documents(
        {"kind": "refund", "out_trade_no": sub["out_trade_no"], "status": {"$ne": "CLOSED"}}
    )
    if not refunds:
        return _invalid("对订单补差取消的前置条件是订单发生退款")
    if not _change(sub, {"subsidy_cancelled": True}, unless="subsidy"):
        return _invalid("该订单已补差")
    shown = {k: payload.get(k) for k in ("sub_mchid", "transaction_id", "description")}
    return answer(200, {**shown, "result": "SUCCESS"})


def share(payload: dict[str, Any], *, finish_only: bool) -> Response:
    """请求分账 (with finish) or 完结分账: the subsidy settled first, the platform the only
    receiver, at most 30 % of what the sub-order holds, one finish per sub-order."""
    found = _paid_sub_order(payload)
    if isinstance(found, Response):
        return found
    sub = found
    store = database().sandbox_wechatpay
    key = "split:" + str(payload.get("out_order_no"))
    kept = store.find_one({"_id": key})
    if kept is not None:
        return answer(200, _split_view(kept))
    state = _state(sub)
    declared = (sub.get("settle_info") or {}).get("subsidy_amount", 0)
    if declared and state.get("subsidy") is None and not state.get("subsidy_cancelled"):
        return _invalid("分账补贴还未到账,不能受理分账")
    held = _held(sub, state)
    receivers = [] if finish_only else list(payload.get("receivers") or [])
    refused = _receivers_refused(receivers, held)
    if refused:
        return refused
    split_amount = sum(r["amount"] for r in receivers)
    record = {
        "_id": key,
        "kind": "split",
        "sub_mchid": sub["sub_mchid"],
        "transaction_id": sub["transaction_id"],
        "out_order_no": payload["out_order_no"],
        "order_id": "3008" + secrets.token_hex(12),
        "status": "PROCESSING",
        "receivers": [
            {
                **{k: r.get(k) for k in ("type", "receiver_account", "amount", "description")},
                "result": "PENDING",
                "detail_id": "3601" + secrets.token_hex(10),
            }
            for r in receivers
        ],
        "finish_amount": held - split_amount,
    }
    if not _change(sub, {"finished": key}, unless="finished"):
        return _invalid("该笔订单已经完结分账")
    store.insert_one(record)
    return answer(200, _split_view(record))


def query_split(query: dict[str, str]) -> Response:
    store = database().sandbox_wechatpay
    record = store.find_one({"_id": "split:" + query.get("out_order_no", "")})
    if record is None or record["transaction_id"] != query.get("transaction_id"):
        return answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "记录不存在"})
    if record["status"] == "PROCESSING":  # WeChat Pay's processing has ended
        done = [{**r, "result": "SUCCESS", "finish_time": now()} for r in record["receivers"]]
        store.update_one(
            {"_id": record["_id"]}, {"$set": {"status": "FINISHED", "receivers": done}}
        )
        record = store.find_one({"_id": record["_id"]}) or record
    return answer(200, _split_view(record))


def return_commission(payload: dict[str, Any]) -> Response:
    """分账回退: from the platform, of a FINISHED split's successful share, at most what it
    took; the same out_return_no again is the same return (SUCCESS at once here)."""
    store = database().sandbox_wechatpay
    key = "return:" + str(payload.get("out_return_no"))
    kept = store.find_one({"_id": key})
    if kept is not None:
        return answer(200, _split_view(kept))
    split = store.find_one({"_id": "split:" + str(payload.get("out_order_no"))})
    if split is None or split["sub_mchid"] != payload.get("sub_mchid"):
        return answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "分账单不存在"})
    took = sum(
        r["amount"]
        for r in split["receivers"]
        if r["receiver_account"] == payload.get("return_mchid") and r["result"] == "SUCCESS"
    )
    if split["status"] != "FINISHED" or not took:
        return _invalid("仅支持对分账结果为成功的分账单执行回退操作")
    returned = sum(
        r["amount"]
        for r in store.find({"kind": "return", "out_order_no": split["out_order_no"]})
        if r["result"] == "SUCCESS"
    )
    amount = payload.get("amount")
    if not isinstance(amount, int) or not 0 < amount <= took - returned:
        return _invalid("回退金额不能超过原分账单分给该接收方的金额")
    record = {
        "_id": key,
        "kind": "return",
        "sub_mchid": split["sub_mchid"],
        "order_id": split["order_id"],
        "out_order_no": split["out_order_no"],
        "out_return_no": payload["out_return_no"],
        "return_mchid": payload["return_mchid"],
        "amount": amount,
        "return_no": "3008" + secrets.token_hex(12),
        "result": "SUCCESS",
        "finish_time": now(),
    }
    store.insert_one(record)
    return answer(200, _split_view(record))


def query_return(query: dict[str, str]) -> Response:
    record = database().sandbox_wechatpay.find_one(
        {"_id": "return:" + query.get("out_return_no", "")}
    )
    if record is None or record["out_order_no"] != query.get("out_order_no"):
        return answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "记录不存在"})
    return answer(200, _split_view(record))


def return_subsidy(payload: dict[str, Any]) -> Response:
    """补差回退: of a paid subsidy, once per WeChat refund of the sub-order, in all at most
    the subsidy."""
    found = _paid_sub_order(payload)
    if isinstance(found, Response):
        return found
    sub = found
    paid = _state(sub).get("subsidy")
    store = database().sandbox_wechatpay
    refund = store.find_one({"kind": "refund", "refund_id": payload.get("refund_id")})
    if paid is None or refund is None or refund["out_trade_no"] != sub["out_trade_no"]:
        return _invalid("补差回退的前置条件是订单发生退款")
    key = "subsidy_return:" + str(payload.get("out_order_no"))
    kept = store.find_one({"_id": key})
    if kept is not None:
        return answer(200, _split_view(kept))
    earlier = list(store.find({"kind": "subsidy_return", "transaction_id": sub["transaction_id"]}))
    if any(r["refund_id"] == refund["refund_id"] for r in earlier):
        return _invalid("一笔微信退款单只允许补差回退一次")
    amount = payload.get("amount")
    if not isinstance(amount, int) or not 0 < amount <= paid["amount"] - sum(
        r["amount"] for r in earlier
    ):
        return _invalid("申请回退总金额不能超过补差金额")
    record = {
        "_id": key,
        "kind": "subsidy_return",
        "sub_mchid": sub["sub_mchid"],
        "transaction_id": sub["transaction_id"],
        "subsidy_refund_id": "3008" + secrets.token_hex(12),
        "refund_id": refund["refund_id"],
        "out_order_no": payload["out_order_no"],
        "amount": amount,
        "description": payload.get("description"),
        "result": "SUCCESS",
        "success_time": now(),
    }
    store.insert_one(record)
    return answer(200, _split_view(record))


def _receivers_refused(receivers: list[dict[str, Any]], held: int) -> Response | None:
    platform = sandbox_keys()["mchid"]
    for receiver in receivers:
        if (receiver.get("type"), receiver.get("receiver_account")) != ("MERCHANT_ID", platform):
            return _invalid("分账接收方关系不存在,请检查参数中每个接收方的关系")
        amount = receiver.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            return _invalid("分账金额必须大于0")
    wanted = sum(r["amount"] for r in receivers)
    if wanted * 10_000 > held * MAX_SHARE_BP:
        return _invalid("分账金额超出最大分账比例")
    if wanted > held:
        return answer(400, {"code": "NOT_ENOUGH", "message": "分账金额不足"})
    return None


def _held(sub: dict[str, Any], state: dict[str, Any]) -> int:
    """What the sub-order holds frozen: its payment and subsidy, less its refunds."""
    refunds = database().sandbox_wechatpay.find(
        {"kind": "refund", "out_trade_no": sub["out_trade_no"], "status": {"$ne": "CLOSED"}}
    )
    refunded = sum(r["amount"]["refund"] for r in refunds)
    subsidy = int((state.get("subsidy") or {}).get("amount", 0))
    return int(sub["amount"]["total_amount"]) + subsidy - int(refunded)


def _paid_sub_order(payload: dict[str, Any]) -> dict[str, Any] | Response:
    """The paid sub-order that `transaction_id` names, of the sub-merchant the request
    names."""
    transaction_id = payload.get("transaction_id")
    combined = database().sandbox_wechatpay.find_one(
        {"kind": "combined", "sub_orders.transaction_id": transaction_id}
    )
    subs: list[dict[str, Any]] = (combined or {}).get("sub_orders", [])
    for sub in subs:
        if sub.get("transaction_id") == transaction_id and sub["trade_state"] == "SUCCESS":
            if sub["sub_mchid"] != payload.get("sub_mchid"):
                return answer(403, {"code": "NO_AUTH", "message": "二级商户号与订单不匹配"})
            return sub
    return answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"})


def _state(sub: dict[str, Any]) -> dict[str, Any]:
    """What happened to a paid sub-order since: its subsidy, its finish."""
    found = database().sandbox_wechatpay.find_one({"_id": "after:" + sub["out_trade_no"]})
    return found or {}


def _change(sub: dict[str, Any], change: dict[str, Any], *, unless: str) -> bool:
    """Record `change` unless `unless` is recorded already (one conditional write)."""
    try:
        done = database().sandbox_wechatpay.update_one(
            {"_id": "after:" + sub["out_trade_no"], unless: {"$exists": False}},
            {"$set": {"kind": "after_payment", **change}},
            upsert=True,
        )
    except DuplicateKeyError:  # recorded meanwhile
        return False
    return bool(done.modified_count or done.upserted_id)


def _split_view(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("_id", "kind")}


def _invalid(message: str) -> Response:
    return answer(400, {"code": "INVALID_REQUEST", "message": message})
