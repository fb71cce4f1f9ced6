"""The local WeChat Pay's 平台收付通 (e-commerce collection), for marketplace mode: the
platform's 二级商户 and their applications here, combined payments and the sub-merchants'
refunds in wechatpay_combined.py (docs/decisions/0025).

A sub_mchid of 10 digits is an active 二级商户 of this platform (../shared/CONTRACT.md): its
balance answers, as WeChat Pay's does for a sub-merchant the platform has 受理关系 with; any
other is answered 403 NO_AUTH, as WeChat Pay answers one that is not the platform's. An
application (进件) is known once a test registers it (`register_application`).
"""

from __future__ import annotations

from typing import Any

from retail.common.database import database
from retail.payments.transport import Response

from . import wechatpay_sharing as sharing
from .wechatpay_combined import (
    close_combined,
    combined_prepay,
    is_active_sub_merchant,
    refund,
    refund_of,
    show_combined,
)
from .wechatpay_wire import answer

BALANCE = "/v3/ecommerce/fund/balance/"
APPLICATIONS = "/v3/ecommerce/applyments/out-request-no/"
COMBINE = "/v3/combine-transactions"
REFUNDS = "/v3/ecommerce/refunds"
SHARING = "/v3/ecommerce/profitsharing"


def marketplace_answer(
    method: str, route: str, payload: dict[str, Any], query: dict[str, str]
) -> Response | None:
    """WeChat Pay's answer to a 平台收付通 call, or None for a route of another product."""
    if method == "GET" and route.startswith(BALANCE):
        return _balance(route.removeprefix(BALANCE))
    if method == "GET" and route.startswith(APPLICATIONS):
        return _application(route.removeprefix(APPLICATIONS))
    if method == "POST" and route == f"{COMBINE}/jsapi":
        return combined_prepay(payload)
    if route.startswith(f"{COMBINE}/out-trade-no/"):
        number = route.removeprefix(f"{COMBINE}/out-trade-no/").removesuffix("/close")
        return close_combined(number, payload) if method == "POST" else show_combined(number)
    if method == "POST" and route == f"{REFUNDS}/apply":
        return refund(payload)
    if method == "GET" and route.startswith(f"{REFUNDS}/out-refund-no/"):
        return refund_of(route.rsplit("/", 1)[1], query.get("sub_mchid", ""))
    return _after_payment(method, route, payload, query)


def _after_payment(
    method: str, route: str, payload: dict[str, Any], query: dict[str, str]
) -> Response | None:
    """Subsidies and profit sharing (retail_dev.wechatpay_sharing)."""
    if method == "POST" and route == "/v3/ecommerce/subsidies/create":
        return sharing.subsidy(payload)
    if method == "POST" and route == "/v3/ecommerce/subsidies/cancel":
        return sharing.cancel_subsidy(payload)
    if method == "POST" and route == f"{SHARING}/orders":
        return sharing.share(payload, finish_only=False)
    if method == "POST" and route == f"{SHARING}/finish-order":
        return sharing.share(payload, finish_only=True)
    if method == "GET" and route == f"{SHARING}/orders":
        return sharing.query_split(query)
    if method == "POST" and route == f"{SHARING}/returnorders":
        return sharing.return_commission(payload)
    if method == "GET" and route == f"{SHARING}/returnorders":
        return sharing.query_return(query)
    if method == "POST" and route == "/v3/ecommerce/subsidies/return":
        return sharing.return_subsidy(payload)
    return None


def _balance(sub_mchid: str) -> Response:
    """pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter7_7_1.shtml: its answer's shape,
    and NO_AUTH for a sub-merchant the platform has no 受理关系 with."""
    if not is_active_sub_merchant(sub_mchid):
        message = "你无权查询该商户余额"
        return answer(403, {"code": "NO_AUTH", "message": message})
    balance = {"available_amount": 0, "pending_amount": 0, "account_type": "BASIC"}
    return answer(200, {"sub_mchid": sub_mchid, **balance})


def _application(out_request_no: str) -> Response:
    record = database().sandbox_wechatpay.find_one({"_id": "applyment:" + out_request_no})
    if record is None:
        return answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "申请单不存在"})
    shown = {k: v for k, v in record.items() if k not in ("_id", "kind")}
    return answer(200, shown)


def register_application(out_request_no: str, state: str, sub_mchid: str | None) -> None:
    """An application WeChat Pay holds, in `state` (CHECKING ... FINISH); its sub_mchid is
    given from NEED_SIGN on, as WeChat Pay gives it."""
    shown_from = ("NEED_SIGN", "FINISH", "FROZEN")
    database().sandbox_wechatpay.replace_one(
        {"_id": "applyment:" + out_request_no},
        {
            "kind": "applyment",
            "applyment_id": 2000002124775691,
            "out_request_no": out_request_no,
            "applyment_state": state,
            "applyment_state_desc": state,
            **({"sub_mchid": sub_mchid} if sub_mchid and state in shown_from else {}),
        },
        upsert=True,
    )
