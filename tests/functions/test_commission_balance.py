"""The promoter's own commissions (issue 31 §1, §4): commission_mine shows pending, available
and reversed money and the entries with their orders masked; a release credits the balance
once, a refund after release debits it once, into debt when the money already left, and the
next commission pays the debt first."""

from __future__ import annotations

from typing import Any

from retail.orders import mark_paid
from retail.referral import settle_due_moves
from retail.referral.balances import ACCOUNTS, marker_of, move_balance

from .harness import as_operator, call, sample
from .test_growth_functions import login, share


def invited_order(db: Any, invitee: str, key: str) -> dict[str, Any]:
    login(invitee)
    call("share_reward", {"share_code": share("o-alice")["share_code"]}, openid=invitee)
    placed = call("order_place", {**sample("order_place"), "idempotency_key": key}, invitee)
    order: dict[str, Any] = placed["data"]
    mark_paid(db, order["order_id"], f"TX-{key}", order["total"])
    return order


def complete(order: dict[str, Any], buyer: str) -> None:
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF0000001"}
    as_operator("order_ship", ship)
    assert call("order_confirm", {"order_id": order["order_id"]}, buyer)["code"] == "OK"


def credit_owed(db: Any, entry: dict[str, Any]) -> None:
    """The entry released and its credit owed to the balance: release_commission's first step,
    as a call that died after it leaves it."""
    db.commissions.update_one(
        {"_id": entry["_id"]},
        {"$set": {"status": "AVAILABLE", "moves.credit": entry["amount"], "balance_due": True}},
    )


def mine(openid: str = "o-alice") -> dict[str, Any]:
    answer = call("commission_mine", {}, openid)
    assert answer["code"] == "OK", answer
    data: dict[str, Any] = answer["data"]
    return data


def test_a_promoter_sees_pending_then_available_with_the_order_masked(seeded):
    login("o-alice")
    assert mine()["totals"] == dict.fromkeys(
        ("pending", "available", "withdrawing", "withdrawn", "reversed", "debt"), 0
    )
    order = invited_order(seeded, "o-bob", "balance-0001")
    earned = order["total"] * 500 // 10_000
    first = mine()
    assert first["totals"]["pending"] == earned and first["totals"]["available"] == 0
    (entry,) = first["entries"]
    assert entry["order"] != order["order_id"] and entry["order"].startswith(order["order_id"][:6])
    assert "o-bob" not in str(first)
    complete(order, "o-bob")
    complete(order, "o-bob")  # a replay credits nothing more
    after = mine()["totals"]
    assert (after["pending"], after["available"]) == (0, earned)
    assert mine("o-bob")["totals"]["available"] == 0  # nobody else's balance moved


def test_a_refund_after_release_is_debited_once_and_into_debt_once_withdrawn(seeded):
    order = invited_order(seeded, "o-bob", "balance-0002")
    earned = order["total"] * 500 // 10_000
    complete(order, "o-bob")
    # the money left for the promoter's WeChat balance (a withdrawal)
    seeded[ACCOUNTS].update_one(
        {"_id": "o-alice"}, {"$inc": {"available": -earned, "withdrawn": earned}}
    )
    refund = {"order_id": order["order_id"], "reason": "不要了"}
    assert call("refund_request", refund, "o-bob")["code"] == "OK"
    as_operator("refund_review", {"order_id": order["order_id"], "approve": True})
    totals = mine()["totals"]
    assert (totals["available"], totals["debt"], totals["reversed"]) == (0, earned, earned)
    second = invited_order(seeded, "o-carol", "balance-0003")
    complete(second, "o-carol")
    again = second["total"] * 500 // 10_000
    totals = mine()["totals"]
    assert totals["debt"] == max(earned - again, 0)
    assert totals["available"] == max(again - earned, 0)


def test_a_move_a_crash_left_owed_is_applied_once_by_the_timer(seeded):
    order = invited_order(seeded, "o-bob", "balance-0004")
    entry = seeded.commissions.find_one({})
    # released, then the process died before the balance took it
    credit_owed(seeded, entry)
    marker = marker_of(entry["_id"], "credit")
    move_balance(seeded, "o-alice", marker, entry["amount"])  # ... or after the balance took it
    assert settle_due_moves(seeded) == 1
    assert settle_due_moves(seeded) == 0
    assert mine()["totals"]["available"] == entry["amount"]
    assert order
