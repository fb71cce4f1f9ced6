"""WeChat Pay's fee on each payment, as its trade bill charges it (bill_reconcile keeps it).

WeChat Pay takes its fee from the account a payment lands in: in marketplace mode a
sub-order's merchant's (「订单资金扣除手续费之后进行冻结」), giving back its part on a refund
(the refund line's negative fee). The bill states it per line in yuan to five decimals, a
thousandth of a fen, so it is kept as that decimal text, never rounded: `payment_fees`, one
record per payment (`_id` its out_trade_no, a sub-order's for a combined payment), the fee of
the payment and of each of its refunds. Only lines that matched our books are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from pymongo import UpdateOne

from retail.store import Db

from .trade_bills import BillRow


def keep_fees(db: Db, day: date, rows: Iterable[BillRow], differing: set[str]) -> None:
    """The fees of the day's lines that are ours (`differing`: the numbers that did not
    match), each written as the bill states it, one write a payment, all in one batch: a day
    read again writes the same. A line whose layout states no fee keeps none."""
    fees: dict[str, dict[str, str]] = {}  # payment -> its fields, one write each
    for row in rows:
        if row.fee is None:
            continue
        if row.status == "REFUND":
            if row.out_refund_no in differing:
                continue
            fee = {f"refunds.{row.out_refund_no}": _text(row.fee)}
        elif row.out_trade_no in differing:
            continue
        else:
            fee = {"paid": _text(row.fee), "day": day.isoformat(), "sub_mchid": row.sub_mchid}
        fees.setdefault(row.out_trade_no, {}).update(fee)
    writes = [UpdateOne({"_id": n}, {"$set": fee}, upsert=True) for n, fee in fees.items()]
    if writes:
        db.payment_fees.bulk_write(writes, ordered=False)


def fees_of(db: Db, payments: list[str]) -> dict[str, Decimal]:
    """What WeChat Pay kept as fees on these payments, net of what their refunds gave back,
    in yuan; a payment the bills have not shown yet is absent."""
    kept: dict[str, Decimal] = {}
    for record in db.payment_fees.find({"_id": {"$in": payments}}):
        if "paid" not in record:  # a refund's line read before its payment's
            continue
        given_back = sum((Decimal(f) for f in (record.get("refunds") or {}).values()), Decimal(0))
        kept[record["_id"]] = Decimal(record["paid"]) + given_back
    return kept


def _text(fee: Decimal) -> str:
    return f"{fee:.5f}"
