"""bill_reconcile under a hostile review (each once a failing test): a no-recharge coupon's
payment and refund, the early layout, a product title with a comma, a refunded order's own
payment that differs, a first day that waited, a big day matched in chunks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from retail.common.clock import travel, utcnow
from retail.payments.trade_bills import parse_trade_bill
from retail_dev import wechatpay_bills as bills

from .harness import call, handler, paid_through_wechat_pay, sample
from .test_bill_reconcile import next_morning, reconcile
from .test_marketplace_payments import paid as combined_paid
from .test_marketplace_payments import shop as shop  # the marketplace fixture

CST = timezone(timedelta(hours=8))
pytestmark = pytest.mark.usefixtures("fresh_sandbox")


@pytest.fixture(autouse=True)
def back_to_now():
    yield
    travel(timedelta(0))


def morning_after(days: int) -> None:
    """`days` days after today, 11:00 in Asia/Shanghai."""
    local = datetime.now(CST)
    morning = local.replace(hour=11, minute=0, second=0, microsecond=0) + timedelta(days=days)
    travel(morning - local)


def rewrite_bill(monkeypatch: pytest.MonkeyPatch, change: Callable[[list[str]], list[str]]) -> None:
    """The local WeChat Pay's bill, its lines rewritten by `change` (the hash follows)."""
    made = bills._bill_text

    def text(day: date) -> str | None:
        original = made(day)
        return None if original is None else "\n".join(change(original.splitlines())) + "\n"

    monkeypatch.setattr(bills, "_bill_text", text)


def with_coupon(out_trade_no: str, total: int) -> Callable[[list[str]], list[str]]:
    """The bill's lines as WeChat Pay writes them when a no-recharge coupon of a yuan paid part
    of the order: 应结订单金额 less the coupon, 代金券金额 the coupon, 订单金额 what the order
    asked; a refund's 退款金额 what is settled back, its 申请退款金额 what we asked."""
    coupon = Decimal("1.00")

    def rewrite(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            fields = line.split(",")
            if len(fields) > 24 and fields[6] == "`" + out_trade_no:
                if fields[9] == "`REFUND":
                    fields[16] = f"`{Decimal(fields[16][1:]) - coupon:.2f}"
                else:
                    fields[12] = f"`{Decimal(total) / 100 - coupon:.2f}"
                    fields[13] = f"`{coupon:.2f}"
            out.append(",".join(fields))
        return out

    return rewrite


# 1. 应结订单金额 is what WeChat Pay settles (订单金额 less a no-recharge coupon), not what the
#    order asked: a buyer who paid with a WeChat Pay 免充值 coupon is reported as a difference.
def test_a_payment_with_a_no_recharge_coupon_is_not_a_difference(seeded, monkeypatch):
    call("user_login", {})
    order = paid_through_wechat_pay(seeded, "r32-coupon")
    rewrite_bill(monkeypatch, with_coupon(order["out_trade_no"], order["total"]))
    next_morning()
    summary = reconcile()
    events = [e["evidence"] for e in seeded.risk_events.find({"kind": "bill_mismatch"})]
    assert summary["mismatches"] == 0, events


def test_a_refund_of_a_payment_with_a_no_recharge_coupon_is_not_a_difference(seeded, monkeypatch):
    call("user_login", {})
    order = paid_through_wechat_pay(seeded, "r32-coupon-refund")
    assert call("refund_request", {"order_id": order["order_id"], "reason": "no"})["code"] == "OK"
    rewrite_bill(monkeypatch, with_coupon(order["out_trade_no"], order["total"]))
    next_morning()
    summary = reconcile()
    events = [e["evidence"] for e in seeded.risk_events.find({"kind": "bill_mismatch"})]
    assert summary["mismatches"] == 0, events


# 2. The early layout WeChat Pay documents (and bill_reconcile claims to read) names the
#    amount 总金额; it has neither 应结订单金额 nor 订单金额: every payment is read as 0 fen.
EARLY = {
    "应结订单金额": "总金额",
    "代金券金额": "企业红包金额",
    "充值券退款金额": "企业红包退款金额",
}


def test_the_early_layout_is_read_by_its_总金额():
    header = (
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
        "交易状态,付款银行,货币种类,总金额,企业红包金额,微信退款单号,商户退款单号,退款金额,"
        "企业红包退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率"
    )
    line = (
        "`2024-01-02 10:00:00,`wx1,`1900000001,`0,`,`4200001,`O1,`o-x,`JSAPI,`SUCCESS,`OTHERS,"
        "`CNY,`12.34,`0.00,`0,`0,`0.00,`0.00,`,`,`goods,`,`0.07404,`0.60%"
    )
    summary = (
        "总交易单数,总交易额,总退款金额,总企业红包退款金额,手续费总金额\n"
        "`1,`12.34,`0.00,`0.00,`0.07404"
    )
    (row,) = parse_trade_bill("\n".join([header, line, summary]) + "\n").rows
    assert row.amount == 1234


def test_a_shop_on_the_early_layout_has_no_false_differences(seeded, monkeypatch):
    call("user_login", {})
    paid_through_wechat_pay(seeded, "r32-early")

    def early(lines: list[str]) -> list[str]:
        header = lines[0].split(",")[:24]
        out = [",".join(EARLY.get(h, h) for h in header)]
        for line in lines[1:]:
            if line.startswith("总交易单数") or not line.startswith("`") or "`" not in line:
                out.append(line)
            elif len(line.split(",")) > 20:
                out.append(",".join(line.split(",")[:24]))
            else:
                out.append(line)
        return out

    rewrite_bill(monkeypatch, early)
    next_morning()
    summary = reconcile()
    events = [e["evidence"] for e in seeded.risk_events.find({"kind": "bill_mismatch"})]
    assert summary["mismatches"] == 0, events


# 3. The local bill writes 商品名称 as it is and the parser splits on every comma: a product
#    titled with an ASCII comma shifts the columns. In marketplace mode 商户数据包 (the order
#    id) lands in 手续费, Decimal() raises InvalidOperation (not UpstreamUnavailable) and the
#    timer crashes on every run, never passing that day.
def test_a_product_title_with_a_comma_does_not_stop_the_marketplace_timer(shop):
    for product in ("p-mango", "p-eggs"):
        shop.products.update_one({"_id": product}, {"$set": {"title": "云南好货, 香甜多汁"}})
    order = combined_paid(shop, "r32-comma")
    assert all("," in line["title"] for line in order["lines"])
    next_morning()
    answer = handler("bill_reconcile")(sample("bill_reconcile"), {})
    assert answer["code"] == "OK", answer
    assert answer["data"]["mismatches"] == 0


# 4. _given_back accepts a billed payment whenever any refund of the order names its
#    transaction: the order's own accepted payment, refunded in part or whole, hides any
#    difference in what WeChat Pay says it took.
def test_a_refunded_order_still_shows_a_payment_that_differs(seeded):
    call("user_login", {})
    kept = paid_through_wechat_pay(seeded, "r32-refunded")
    assert call("refund_request", {"order_id": kept["order_id"], "reason": "no"})["code"] == "OK"
    assert seeded.refunds.count_documents({"order_id": kept["order_id"]}) == 1
    # WeChat Pay's bill says it took another amount for the payment we accepted
    seeded.sandbox_wechatpay.update_one(
        {"_id": f"pay:{kept['out_trade_no']}"}, {"$set": {"amount.total": kept["total"] + 1}}
    )
    next_morning()
    reconcile()
    found = {
        e["evidence"]["difference"] for e in seeded.risk_events.find({"kind": "bill_mismatch"})
    }
    assert "payment_differs" in found


# 5. The first run on a shop writes no cursor when its day's bill is not ready: the next run
#    starts from its own yesterday, and the day that waited is never matched.
def test_a_first_day_that_waited_is_matched_later(seeded, monkeypatch):
    call("user_login", {})
    paid_through_wechat_pay(seeded, "r32-first")
    today = datetime.now(CST).date().isoformat()
    made = bills.trade_bill
    monkeypatch.setattr(
        bills,
        "trade_bill",
        lambda q: bills.answer(400, {"code": "STATEMENT_CREATING", "message": "账单生成中"}),
    )
    next_morning()
    assert reconcile()["waiting"] == today  # WeChat Pay was late that morning
    monkeypatch.setattr(bills, "trade_bill", made)
    morning_after(2)
    assert today in reconcile()["days"]


# 6. A day's bill is matched with a query (or two) per line and no look at the budget: a day
#    of some ten thousand lines outlasts the function's 60 s, the cursor stays, and every later
#    run starts that day again.
def test_a_days_bill_is_not_matched_one_query_per_line(seeded, monkeypatch):
    from retail.payments.bill_reconcile import reconcile_day
    from retail.payments.connect import wechatpay_client

    lines = 200
    when = utcnow()
    for n in range(lines):
        number = f"OBULK{n:06d}"
        seeded.sandbox_wechatpay.insert_one(
            {
                "_id": f"pay:{number}",
                "kind": "transaction",
                "appid": "wx-dev-appid",
                "out_trade_no": number,
                "trade_state": "SUCCESS",
                "transaction_id": f"42{number}",
                "success_time": when.astimezone(CST).isoformat(timespec="seconds"),
                "amount": {"total": 100},
                "payer": {"openid": "o-x"},
            }
        )
        seeded.orders.insert_one(
            {
                "_id": number,
                "openid": "o-x",
                "idempotency_key": number,
                "out_trade_no": number,
                "total": 100,
                "transaction_id": f"42{number}",
                "paid_at": when,
            }
        )
    kind = type(seeded.orders)
    asked = {"orders": 0, "payment_fees": 0}  # order look-ups, fee writes
    find_one, update_one = kind.find_one, kind.update_one

    def looked_up(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked["orders"] += self.name == "orders"
        return find_one(self, *args, **kwargs)

    def written(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked["payment_fees"] += self.name == "payment_fees"
        return update_one(self, *args, **kwargs)

    monkeypatch.setattr(kind, "find_one", looked_up)
    monkeypatch.setattr(kind, "update_one", written)
    day = when.astimezone(CST).date()
    next_morning()
    assert reconcile_day(seeded, wechatpay_client(), day) == 0
    assert seeded.payment_fees.count_documents({}) == lines  # every fee kept, in one batch
    assert max(asked.values()) < lines // 10, f"{asked} for {lines} lines"
