"""Whose WeChat Pay account a merchant's sales are paid into, and so whether its goods may be
on sale in the shop's payment mode (RETAIL_PAYMENT_MODE; docs/decisions/0025).

direct: every payment lands in the shop's one merchant account. Collecting another merchant's
money there and paying it on is 二清, which an unlicensed platform may not do, so in
production only merchants marked `own` sell (dev lets any, so the demo runs in either mode).
marketplace: every payment lands in the merchant's own 二级商户 account (`sub_mchid`) through
平台收付通, so a merchant sells once WeChat Pay has finished its application; the platform
takes its commission by profit sharing, which WeChat Pay caps at 30 % of a sub-order.

The payee is written only by merchant_save after WeChat Pay was asked (payments.sub_merchants);
a catalogue file may not carry one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

from pydantic import BaseModel

from retail.common.audit import record_audit
from retail.common.clock import utcnow
from retail.common.errors import Conflict, Reason
from retail.common.models import OUT
from retail.common.operator import Operator
from retail.common.settings import settings
from retail.common.vocabulary import SaleStatus, Word
from retail.store import Db

# 平台收付通: 「目前默认最高分账比例30%」 (pay.weixin.qq.com/doc/v3/partner/4015870957)
MARKETPLACE_COMMISSION_CAP_BP = 3000
SUB_MCHID = r"^[1-9][0-9]{7,15}$"  # a WeChat Pay merchant number


class PayeeState(Word):
    ACTIVE = "ACTIVE"  # WeChat Pay pays this sub-merchant (its application FINISHed)
    APPLYING = "APPLYING"  # its application is under way (checking, verifying, signing)
    REFUSED = "REFUSED"  # rejected, frozen or cancelled at WeChat Pay
    UNCHECKED = "UNCHECKED"  # recorded in direct mode, where WeChat Pay is not asked


class Payee(TypedDict, total=False):
    """`merchants.payee`: the merchant's 二级商户 at WeChat Pay, as last asked."""

    sub_mchid: str
    out_request_no: str | None  # its application (进件) at WeChat Pay, when known
    state: PayeeState
    wechatpay_state: str  # WeChat Pay's own word: an applyment_state, or BALANCE_FOUND
    checked_at: datetime


class PayeeView(BaseModel):
    model_config = OUT
    sub_mchid: str
    state: PayeeState
    wechatpay_state: str | None = None
    checked_at: datetime | None = None


def sale_refusal(merchant: Mapping[str, Any]) -> str | None:
    """Why the merchant's goods may not be on sale now, or None."""
    if merchant.get("status", "ACTIVE") != "ACTIVE":
        return "the merchant is suspended"
    config = settings()
    if config.payment_mode == "marketplace":
        payee: Mapping[str, Any] = merchant.get("payee") or {}
        if payee.get("state") != PayeeState.ACTIVE:
            return (
                "in marketplace mode a merchant sells once WeChat Pay pays its own account: "
                "save it with the sub_mchid of its finished application"
            )
    elif not merchant.get("own") and not config.is_dev:
        return (
            "in direct mode the shop's account collects every payment: only the platform's own "
            "merchants sell (collecting another merchant's money is 二清; use marketplace mode)"
        )
    return None


def require_sellable(merchant: Mapping[str, Any]) -> None:
    """Raises Conflict (MERCHANT_NOT_PAYABLE) with the reason."""
    refusal = sale_refusal(merchant)
    if refusal:
        raise Conflict(refusal, reason=Reason.MERCHANT_NOT_PAYABLE, merchant_id=merchant["_id"])


def take_off_sale(db: Db, merchant: Mapping[str, Any], operator: Operator) -> int:
    """A merchant that may not sell has nothing on sale: its products go off sale, each
    audited. Returns how many."""
    refusal = sale_refusal(merchant)
    if refusal is None:
        return 0
    query = {"merchant_id": merchant["_id"], "status": SaleStatus.ON_SALE}
    taken = [p["_id"] for p in db.products.find(query, {"_id": 1})]
    if not taken:
        return 0
    now = utcnow()
    db.products.update_many(
        {**query, "_id": {"$in": taken}},
        {"$set": {"status": SaleStatus.OFF_SALE, "updated_at": now}},
    )
    for product_id in taken:
        record_audit(
            db,
            operator,
            "product_publish",
            product_id,
            {"status": SaleStatus.ON_SALE},
            {"status": SaleStatus.OFF_SALE, "why": refusal},
        )
    return len(taken)
