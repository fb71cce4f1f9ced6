"""The risk rules, evaluated where the action happens.

- Orders: a blacklisted signal or too many orders in ten minutes blocks the order before
  anything is written; an order to an address, phone or device that more accounts than
  allowed used within a day is held for an operator's review (payable, not shippable).
- Flash sales (SKUs with a purchase limit): accounts younger than the cool-down may not buy.
- Coupon claims: a blacklisted signal is refused; guarded templates (flash coupons, big
  discounts) also refuse accounts younger than the cool-down and more accounts per device
  and day than allowed.
- Share rewards: a blacklisted visitor earns nothing, and one device earns a new-user
  reward for one account a day.
Every hit is a risk event with its evidence.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from retail.common.errors import Forbidden, Reason
from retail.common.pseudonyms import pseudonym
from retail.store import Db

from .accounts import admit_account
from .blacklist import blacklisted
from .events import record_risk_event
from .limits import risk_limit
from .signals import Signals

SCAN_LIMIT = 500  # orders read per check: enough to count past any sensible limit
SHARED_SIGNALS = {
    "address": "accounts_per_address",
    "phone": "accounts_per_phone",
    "device": "accounts_per_device",
}


def _refuse_blacklisted(db: Db, signals: Signals, key: str, action: str) -> None:
    entry = blacklisted(db, signals)
    if entry is not None:
        kind = entry["_id"].split(":", 1)[0]
        record_risk_event(
            db, f"blacklist:{key}", "blacklisted", "block", openid=signals.openid, signal=kind
        )
        raise Forbidden(f"this account may not {action}", reason=Reason.RISK_BLOCKED)


def guard_order(db: Db, signals: Signals, idempotency_key: str, now: datetime) -> None:
    """Raises Forbidden (reason RISK_BLOCKED) for a blacklisted buyer or order velocity."""
    key = f"order:{pseudonym(signals.openid)}:{idempotency_key}"
    _refuse_blacklisted(db, signals, key, "place orders")
    recent = db.orders.count_documents(
        {"openid": signals.openid, "created_at": {"$gte": now - timedelta(minutes=10)}}
    )
    if recent >= risk_limit("orders_per_10_minutes"):
        record_risk_event(
            db, f"velocity:{key}", "order_velocity", "block", openid=signals.openid, orders=recent
        )
        raise Forbidden("too many orders in a short time", reason=Reason.RISK_BLOCKED)


def order_holds(db: Db, signals: Signals, order_id: str, now: datetime) -> str | None:
    """The risk event holding a just-written order for review, or None.

    Counted after the order is written, from the orders themselves: when orders race, each
    sees at least those written before it, so the accounts past the limit are always held.
    """
    marks = signals.marks()
    if not marks:
        return None
    accounts: dict[str, set[str]] = {mark: set() for mark in marks}
    recent = db.orders.find(
        {"risk_marks": {"$in": marks}, "created_at": {"$gte": now - timedelta(days=1)}},
        {"openid": 1, "risk_marks": 1},
        limit=SCAN_LIMIT,
    )
    for doc in recent:
        for mark in set(doc["risk_marks"]) & accounts.keys():
            accounts[mark].add(doc["openid"])
    hits = {}
    for mark, seen in accounts.items():
        kind, value = mark.split(":", 1)
        if len(seen) > risk_limit(SHARED_SIGNALS[kind]):
            hits[kind] = {"fingerprint": value, "accounts": len(seen)}
    if not hits:
        return None
    return record_risk_event(
        db,
        f"shared:{order_id}",
        "shared_" + "_".join(sorted(hits)),
        "hold",
        openid=signals.openid,
        order_id=order_id,
        **hits,
    )


def guard_flash_sale(user: dict[str, Any], limits: dict[str, int], now: datetime) -> None:
    """SKUs with a purchase limit (`limits`) are flash-sale goods: raises Forbidden (reason
    NEW_ACCOUNT) for a buyer (`user`, with first_seen_at) younger than the cool-down."""
    if limits:
        _refuse_new_account(user, now, f"{min(limits)} (a flash sale)")


def _refuse_new_account(user: dict[str, Any], now: datetime, what: str) -> None:
    cooldown = timedelta(minutes=risk_limit("new_account_minutes"))
    if user.get("first_seen_at") is None or user["first_seen_at"] > now - cooldown:
        raise Forbidden(f"{what} is not for brand-new accounts yet", reason=Reason.NEW_ACCOUNT)


def guard_claim(db: Db, signals: Signals, template: dict[str, Any], now: datetime) -> None:
    """Raises Forbidden (reason RISK_BLOCKED) when this claim is brushing."""
    key = f"claim:{template['_id']}:{pseudonym(signals.openid)}"
    _refuse_blacklisted(db, signals, key, "claim coupons")
    if not template.get("guarded"):
        return
    user = db.users.find_one({"_id": signals.openid}, {"first_seen_at": 1}) or {}
    _refuse_new_account(user, now, "this coupon")
    if signals.device and not admit_account(
        db,
        f"claim-device:{template['_id']}:{signals.device}",
        signals.openid,
        risk_limit("device_claims_per_day"),
        now,
    ):
        record_risk_event(
            db,
            f"device:{key}",
            "device_claims",
            "block",
            openid=signals.openid,
            device=signals.device,
        )
        raise Forbidden(
            "too many accounts claimed this coupon on one device", reason=Reason.RISK_BLOCKED
        )


def reward_allowed(db: Db, signals: Signals, share_code: str, now: datetime) -> bool:
    """False when the visitor is blacklisted or their device already earned a reward today
    for another account (recorded as a risk event); the referral is still bound."""
    key = f"reward:{share_code}:{pseudonym(signals.openid)}"
    if blacklisted(db, signals) is not None:
        record_risk_event(db, f"blacklist:{key}", "blacklisted", "block", openid=signals.openid)
        return False
    if signals.device and not admit_account(
        db, f"invitee-device:{signals.device}", signals.openid, 1, now
    ):
        record_risk_event(
            db,
            f"device:{key}",
            "reward_device_reused",
            "block",
            openid=signals.openid,
            device=signals.device,
        )
        return False
    return True


def guard_withdrawal(db: Db, signals: Signals, withdrawal_id: str, now: datetime) -> None:
    """Raises Forbidden (reason RISK_BLOCKED) for a blacklisted promoter, or a device that
    already withdrew for other accounts today."""
    key = f"withdraw:{withdrawal_id}"
    _refuse_blacklisted(db, signals, key, "withdraw commissions")
    if signals.device and not admit_account(
        db,
        f"withdraw-device:{signals.device}",
        signals.openid,
        risk_limit("device_withdrawals_per_day"),
        now,
    ):
        record_risk_event(db, f"device:{key}", "device_withdrawals", "block", openid=signals.openid)
        raise Forbidden(
            "too many accounts withdrew from this device today", reason=Reason.RISK_BLOCKED
        )
