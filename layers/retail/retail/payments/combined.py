"""Marketplace mode's pay-in (平台收付通 合单支付; docs/decisions/0025): an order is one
combined transaction with a sub-order per merchant, each for what the buyer pays for that
merchant's goods and its part of the freight, paid into the merchant's own 二级商户 account
and frozen there for profit sharing. The platform's account never holds a buyer's money.

The sub-orders are planned once, at the first prepay, and kept on the order: every later
step (notification, close, query, refund) names the same sub-orders with the same amounts,
whatever happens to the merchants' settings meanwhile.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from retail.catalog import PayeeState, sale_refusal
from retail.common.errors import Conflict, Reason
from retail.orders.document import Order, SubOrder
from retail.orders.wechat_payments import sub_order_no
from retail.store import Db

from .client import WeChatPayClient

MAX_SUB_ORDERS = 50  # 「目前最多一次可支持50笔订单进行合单支付」
# A sub-order's trade_state once WeChat Pay took its money (REFUND: and gave some back since).
TAKEN = frozenset({"SUCCESS", "REFUND"})
COMBINE = "/v3/combine-transactions"


def plan_sub_orders(db: Db, order: Order) -> list[SubOrder]:
    """A sub-order per merchant of the order, into its active sub-merchant. Raises Conflict
    (MERCHANT_NOT_PAYABLE) for a merchant WeChat Pay cannot pay now."""
    merchant_ids: list[str] = order["merchant_ids"]
    if len(merchant_ids) > MAX_SUB_ORDERS:
        raise Conflict(f"one payment pays at most {MAX_SUB_ORDERS} merchants")
    payees = payable_sub_merchants(db, merchant_ids)
    goods = _gross(order)
    paid_for_goods = _at_least_a_fen(in_proportion(order["total"] - order["freight"], goods))
    freight = in_proportion(order["freight"], goods)
    plan: list[SubOrder] = []
    for number, merchant_id in enumerate(merchant_ids, start=1):
        amount = paid_for_goods[merchant_id] + freight[merchant_id]
        if amount <= 0:  # WeChat Pay takes no sub-order of nothing
            raise Conflict("the order pays less than a fen a merchant: it cannot be paid")
        plan.append(
            SubOrder(
                merchant_id=merchant_id,
                sub_mchid=payees[merchant_id],
                out_trade_no=sub_order_no(order["_id"], number),
                amount=amount,
                subsidy=max(goods[merchant_id] - paid_for_goods[merchant_id], 0),
            )
        )
    return plan


def payable_sub_merchants(db: Db, merchant_ids: list[str]) -> dict[str, str]:
    """Each merchant's ACTIVE sub_mchid. Raises Conflict (MERCHANT_NOT_PAYABLE) for one that
    may not be paid now (suspended, no active sub-merchant)."""
    merchants = {m["_id"]: m for m in db.merchants.find({"_id": {"$in": merchant_ids}})}
    payees: dict[str, str] = {}
    for merchant_id in merchant_ids:
        merchant = merchants.get(merchant_id) or {"_id": merchant_id}
        payee: Mapping[str, Any] = merchant.get("payee") or {}
        refusal = sale_refusal(merchant)
        if refusal or payee.get("state") != PayeeState.ACTIVE:
            raise Conflict(
                refusal or "the merchant has no active sub-merchant",
                reason=Reason.MERCHANT_NOT_PAYABLE,
                merchant_id=merchant_id,
            )
        payees[merchant_id] = str(payee["sub_mchid"])
    return payees


def still_payable(db: Db, plan: list[SubOrder]) -> None:
    """A prepay asked again names the plan's sub-merchants: each must still be its
    merchant's ACTIVE one. Raises Conflict (MERCHANT_NOT_PAYABLE)."""
    payees = payable_sub_merchants(db, [s["merchant_id"] for s in plan])
    for sub in plan:
        if payees[sub["merchant_id"]] != sub["sub_mchid"]:
            raise Conflict(
                "the merchant's sub-merchant changed since the order was first prepaid",
                reason=Reason.MERCHANT_NOT_PAYABLE,
                merchant_id=sub["merchant_id"],
            )


def _at_least_a_fen(shares: dict[str, int]) -> dict[str, int]:
    """Every merchant a fen at least (WeChat Pay takes no sub-order of nothing), taken from
    the largest shares: a merchant whose goods the discounts nearly covered."""
    shares = dict(shares)
    for merchant_id in [m for m, v in shares.items() if v <= 0]:
        largest = max(shares, key=lambda m: (shares[m], m))
        if shares[largest] > 1:
            shares[largest] -= 1
            shares[merchant_id] += 1
    return shares


def _gross(order: Order) -> dict[str, int]:
    """Each merchant's goods at their price: what its statement counts."""
    gross = dict.fromkeys(order["merchant_ids"], 0)
    for line in order["lines"]:
        gross[line["merchant_id"]] += line["amount"]
    return gross


def in_proportion(amount: int, weights: dict[str, int]) -> dict[str, int]:
    """`amount` in proportion to `weights`, in whole fen that add up to it exactly (the
    largest remainders get the fen the rounding left; the first merchant when none weighs)."""
    total = sum(weights.values())
    if total <= 0:
        first = next(iter(weights))
        return {m: (amount if m == first else 0) for m in weights}
    floors = {m: amount * w // total for m, w in weights.items()}
    left = amount - sum(floors.values())
    by_remainder = sorted(weights, key=lambda m: (-(amount * weights[m] % total), m))
    for merchant_id in by_remainder[:left]:
        floors[merchant_id] += 1
    return floors


def combined_prepay(
    client: WeChatPayClient,
    order: Order,
    sub_orders: list[SubOrder],
    *,
    openid: str,
    time_expire: datetime,
) -> str:
    """The prepay_id of the order's combined transaction (/v3/combine-transactions/jsapi).
    Raises Conflict if already paid."""
    config = client.config
    titles = {s["merchant_id"]: _title(order, s["merchant_id"]) for s in sub_orders}
    answer = client.call(
        "POST",
        f"{COMBINE}/jsapi",
        {
            "combine_appid": config.appid,
            "combine_mchid": config.mchid,
            "combine_out_trade_no": order["out_trade_no"],
            "sub_orders": [
                {
                    "mchid": config.mchid,
                    "sub_mchid": s["sub_mchid"],
                    "out_trade_no": s["out_trade_no"],
                    "attach": order["_id"],
                    "description": titles[s["merchant_id"]][:127],
                    "amount": {"total_amount": s["amount"], "currency": "CNY"},
                    "settle_info": {"profit_sharing": True, "subsidy_amount": s["subsidy"]},
                }
                for s in sub_orders
            ],
            "combine_payer_info": {"openid": openid},
            "time_expire": time_expire.isoformat(timespec="seconds"),
            "notify_url": config.notify_url,
        },
    )
    return str((answer or {})["prepay_id"])


def _title(order: Order, merchant_id: str) -> str:
    titles = [ln["title"] for ln in order["lines"] if ln["merchant_id"] == merchant_id]
    return titles[0] + (" 等" if len(titles) > 1 else "")


def query_combined(client: WeChatPayClient, combine_out_trade_no: str) -> dict[str, Any] | None:
    """The combined transaction as WeChat Pay knows it; None if it never heard of it."""
    path = f"{COMBINE}/out-trade-no/{urllib.parse.quote(combine_out_trade_no, safe='')}"
    return client.call("GET", path, None, missing_ok=True)


def close_combined(client: WeChatPayClient, order: Order) -> None:
    """Close every sub-order at once (合单关单 closes all or none; 204). A refusal (paid,
    closed) is not an error here: the caller queries to learn how it ended."""
    config = client.config
    path = f"{COMBINE}/out-trade-no/{urllib.parse.quote(order['out_trade_no'], safe='')}/close"
    sub_orders = [
        {"mchid": config.mchid, "out_trade_no": s["out_trade_no"], "sub_mchid": s["sub_mchid"]}
        for s in order["sub_orders"]
    ]
    client.call(
        "POST", path, {"combine_appid": config.appid, "sub_orders": sub_orders}, refusal_ok=True
    )


def as_transaction(combined: dict[str, Any]) -> dict[str, Any]:
    """WeChat Pay's combined transaction (query answer or decrypted notification) in the shape
    transactions.apply_transaction reads: SUCCESS when WeChat Pay took every sub-order's money
    (a sub-order partly refunded since says REFUND: still taken), PARTIAL when it took only
    some (money taken for an order that is not paid), the amount their sum, the transaction_id
    of the first sub-order by out_trade_no that was taken as the order's (the same however
    WeChat Pay lists them), and the sub-orders kept for the check against the order's plan."""
    subs: list[dict[str, Any]] = list(combined.get("sub_orders") or [])
    taken = [s for s in subs if s.get("trade_state") in TAKEN]
    if subs and len(taken) == len(subs):
        state = "SUCCESS"
    elif taken:
        state = "PARTIAL"
    else:
        state = "/".join(sorted({str(s.get("trade_state")) for s in subs}))
    first = min(taken, key=lambda s: str(s.get("out_trade_no")), default={})
    return {
        "combined": True,
        "trade_state": state,
        "out_trade_no": combined.get("combine_out_trade_no"),
        "mchid": combined.get("combine_mchid"),
        "appid": combined.get("combine_appid"),
        "transaction_id": first.get("transaction_id"),
        "amount": {"total": sum(int((s.get("amount") or {}).get("total_amount", 0)) for s in subs)},
        "sub_orders": subs,
    }


def sub_orders_match(order: Order, tx: dict[str, Any]) -> bool:
    """Whether WeChat Pay's sub-orders are exactly the order's plan: the same out_trade_nos,
    each paid by the platform into the planned sub-merchant, for the planned amount."""
    planned = {s["out_trade_no"]: s for s in order.get("sub_orders") or []}
    paid = tx.get("sub_orders") or []
    if not planned or len(paid) != len(planned):
        return False
    for sub in paid:
        plan = planned.get(str(sub.get("out_trade_no")))
        amount = (sub.get("amount") or {}).get("total_amount")
        if plan is None or amount != plan["amount"] or sub.get("mchid") != tx.get("mchid"):
            return False
        if sub.get("sub_mchid") not in (None, plan["sub_mchid"]):
            return False
    return True


def sub_transactions(tx: dict[str, Any]) -> dict[str, str]:
    return {str(s["out_trade_no"]): str(s.get("transaction_id")) for s in tx["sub_orders"]}
