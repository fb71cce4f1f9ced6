"""payment_fees: WeChat Pay's fee on each payment kept exactly as billed, net of what its
refunds gave back, only for lines that matched our books."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from retail.payments.bill_fees import fees_of, keep_fees
from retail.payments.trade_bills import BillRow

DAY = date(2026, 12, 1)


def row(status: str, out_trade_no: str, fee: str, out_refund_no: str = "0") -> BillRow:
    return BillRow(status, out_trade_no, "4200", "1000000002", 100, out_refund_no, 0, Decimal(fee))


def test_a_payments_fee_is_kept_to_a_thousandth_of_a_fen_net_of_its_refunds(db):
    keep_fees(
        db, DAY, [row("SUCCESS", "OS1", "0.00601"), row("REFUND", "OS1", "-0.00300", "R1")], set()
    )
    keep_fees(db, DAY, [row("REFUND", "OS1", "-0.00100", "R2")], set())  # another day's refund
    keep_fees(db, DAY, [row("SUCCESS", "OS1", "0.00601")], set())  # the day read again
    assert fees_of(db, ["OS1", "OS2"]) == {"OS1": Decimal("0.00201")}


def test_lines_that_did_not_match_keep_nothing(db):
    odd = [row("SUCCESS", "X$1", "0.5"), row("REFUND", "OS3", "-0.1", "bad.key")]
    keep_fees(db, DAY, odd, {"X$1", "bad.key"})
    assert db.payment_fees.count_documents({}) == 0


def test_a_refund_billed_before_its_payment_shows_no_fee_yet(db):
    keep_fees(db, DAY, [row("REFUND", "OS4", "-0.00100", "R4")], set())
    assert fees_of(db, ["OS4"]) == {}
    keep_fees(db, DAY, [row("SUCCESS", "OS4", "0.00600")], set())
    assert fees_of(db, ["OS4"]) == {"OS4": Decimal("0.00500")}
