"""平台收付通's calls after the money is in (docs/decisions/0025): the subsidy (补差) paid into
a sub-order before any split, or cancelled after a refund; the split (请求分账) of the
platform's commission, which with `finish` releases the rest to the merchant; the finish alone
(完结分账) where there is no commission; the split's query; and, when a refund comes after
the split, the commission returned to the merchant (分账回退) and the subsidy returned to the
platform (补差回退). Each answer is WeChat Pay's, or its refusal (`code`, `message`) for the
caller to decide on."""

from __future__ import annotations

import urllib.parse
from typing import Any

from .client import WeChatPayClient

SUBSIDIES = "/v3/ecommerce/subsidies"
SHARING = "/v3/ecommerce/profitsharing"


def pay_subsidy(client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any]:
    """The declared subsidy, exactly (「补差金额需要和下单的时候的补差金额保持一致」); the same
    out_subsidy_no asked again is the same subsidy."""
    return _post(
        client,
        f"{SUBSIDIES}/create",
        {
            "sub_mchid": share["sub_mchid"],
            "transaction_id": share["transaction_id"],
            "amount": share["subsidy"],
            "description": "平台优惠补差",
            "out_subsidy_no": share["out_subsidy_no"],
        },
    )


def cancel_subsidy(client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any]:
    """No subsidy for a sub-order a refund gave back (「前置条件是订单发生退款」)."""
    return _post(
        client,
        f"{SUBSIDIES}/cancel",
        {
            "sub_mchid": share["sub_mchid"],
            "transaction_id": share["transaction_id"],
            "description": "订单退款",
        },
    )


def split(client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any]:
    """The commission to the platform, which 平台收付通 makes a receiver by default, and the
    rest released to the merchant in the same request (`finish`)."""
    return _post(
        client,
        f"{SHARING}/orders",
        {
            "appid": client.config.appid,
            "sub_mchid": share["sub_mchid"],
            "transaction_id": share["transaction_id"],
            "out_order_no": share["out_order_no"],
            "receivers": [
                {
                    "type": "MERCHANT_ID",
                    "receiver_account": client.config.mchid,
                    "amount": share["commission"],
                    "description": "平台佣金",
                }
            ],
            "finish": True,
        },
    )


def finish(client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any]:
    """Everything left released to the merchant, nothing split (完结分账)."""
    return _post(
        client,
        f"{SHARING}/finish-order",
        {
            "sub_mchid": share["sub_mchid"],
            "transaction_id": share["transaction_id"],
            "out_order_no": share["out_order_no"],
            "description": "分账完结",
        },
    )


def query_split(client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    """The split (or finish) as WeChat Pay knows it; None if it never heard of it."""
    return _get(client, f"{SHARING}/orders", share, "transaction_id", "out_order_no")


def return_commission(client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any]:
    """The platform gives the split back to the merchant, whose goods were refunded."""
    return _post(
        client,
        f"{SHARING}/returnorders",
        {
            "sub_mchid": share["sub_mchid"],
            "out_order_no": share["out_order_no"],
            "out_return_no": share["out_return_no"],
            "return_mchid": client.config.mchid,
            "amount": share["return_amount"],
            "description": "退款退回平台佣金",
            "transaction_id": share["transaction_id"],
        },
    )


def query_return(client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    return _get(client, f"{SHARING}/returnorders", share, "out_order_no", "out_return_no")


def return_subsidy(
    client: WeChatPayClient, share: dict[str, Any], refund_id: str
) -> dict[str, Any]:
    """The merchant gives the subsidy back to the platform, once per WeChat refund
    (「一笔微信退款单只允许补差回退一次」)."""
    return _post(
        client,
        f"{SUBSIDIES}/return",
        {
            "sub_mchid": share["sub_mchid"],
            "out_order_no": f"D{share['_id']}_{refund_id}"[:64],  # one return per refund
            "transaction_id": share["transaction_id"],
            "refund_id": refund_id,
            "amount": share["subsidy"],
            "description": "退款退回平台补差",
        },
    )


def _get(
    client: WeChatPayClient, path: str, share: dict[str, Any], *fields: str
) -> dict[str, Any] | None:
    """A query by the share's sub-merchant and `fields`; None if WeChat Pay never heard of it."""
    query = urllib.parse.urlencode(
        {"sub_mchid": share["sub_mchid"], **{f: share[f] for f in fields}}
    )
    return client.call("GET", f"{path}?{query}", None, missing_ok=True)


def _post(client: WeChatPayClient, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    return client.call("POST", path, payload, refusal_ok=True) or {}
