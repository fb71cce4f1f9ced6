"""The local WeChat Pay's daily trade bill (交易账单), made from its own records in the layout
WeChat Pay documents for ALL (https://pay.weixin.qq.com/docs/merchant/products/bill-download/
format-trade.html): a header, one backquoted line per payment of the day (each sub-order of a
combined payment its own, 特约商户号 its sub-merchant) and per refund asked that day, the
summary; its SHA1 given with the download address, the file itself answered unsigned."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from retail.common.clock import utcnow
from retail.common.database import database
from retail.payments.transport import Response

from .wechatpay_wire import answer, sandbox_keys

CST = timezone(timedelta(hours=8))
FEE_RATE = Decimal("0.006")  # 费率 0.60%
HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
SUMMARY = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)
DOWNLOAD = "/v3/billdownload/file"
FUND_HEADER = (
    "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),"
    "资金变更提交申请人,备注,业务凭证号"
)
FUND_SUMMARY = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"


def bill_answer(method: str, route: str, query: dict[str, str]) -> Response | None:
    """WeChat Pay's answer to a bill call, or None for another route."""
    if method == "GET" and route == "/v3/bill/tradebill":
        return trade_bill(query)
    if method == "GET" and route == "/v3/bill/fundflowbill":
        return fund_flow_bill(query)
    if method == "GET" and route == DOWNLOAD:
        return download(query)
    return None


def trade_bill(query: dict[str, str]) -> Response:
    """申请交易账单: the address and hash of the day's bill; none for a day not over yet or
    without a trade (NO_STATEMENT_EXIST)."""
    return _bill(query, _bill_text)


def fund_flow_bill(query: dict[str, str]) -> Response:
    """申请资金账单 of the platform's basic account (the only one kept here)."""
    if query.get("account_type", "BASIC") != "BASIC":
        return answer(400, {"code": "NO_STATEMENT_EXIST", "message": "账单文件不存在"})
    return _bill(query, _fund_flow_text)


def _bill(query: dict[str, str], made: Callable[[date], str | None]) -> Response:
    try:
        day = date.fromisoformat(query.get("bill_date", ""))
    except ValueError:
        return answer(400, {"code": "PARAM_ERROR", "message": "bill_date 格式错误"})
    if day >= utcnow().astimezone(CST).date():  # the shop's clock (dev may move it)
        return answer(400, {"code": "STATEMENT_CREATING", "message": "账单生成中"})
    text = made(day)
    if text is None:
        return answer(400, {"code": "NO_STATEMENT_EXIST", "message": "账单文件不存在"})
    token = secrets.token_hex(16)
    database().sandbox_wechatpay.insert_one({"_id": "bill:" + token, "kind": "bill", "text": text})
    return answer(
        200,
        {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(text.encode("utf-8")).hexdigest(),
            "download_url": f"https://api.mch.weixin.qq.com{DOWNLOAD}?token={token}",
        },
    )


def download(query: dict[str, str]) -> Response:
    """下载账单: the file as it is, with no Wechatpay signature (as WeChat Pay answers it)."""
    record = database().sandbox_wechatpay.find_one({"_id": "bill:" + query.get("token", "")})
    if record is None:
        return answer(
            400, {"code": "INVALID_REQUEST", "message": "下载链接过期,请重新请求文件下载"}
        )
    return Response(200, {"content-type": "text/plain;charset=utf-8"}, record["text"])


def _bill_text(day: date) -> str | None:
    store = database().sandbox_wechatpay
    lines: list[list[str]] = []
    for paid in store.find({"kind": "transaction", "trade_state": {"$in": ["SUCCESS", "REFUND"]}}):
        if _day(paid.get("success_time")) == day:
            lines.append(_payment(paid, paid["appid"], "0", paid["amount"]["total"]))
    for combined in store.find({"kind": "combined"}):
        for sub in combined["sub_orders"]:
            if sub["trade_state"] in ("SUCCESS", "REFUND") and _day(sub.get("success_time")) == day:
                record = {**sub, "payer": combined["combine_payer_info"]}
                amount = sub["amount"]["total_amount"]
                lines.append(_payment(record, combined["combine_appid"], sub["sub_mchid"], amount))
    for refund in store.find({"kind": "refund", "status": {"$ne": "CLOSED"}}):
        if _day(refund.get("create_time")) == day:
            lines.append(_refund(refund))
    if not lines:
        return None
    rows = [",".join("`" + field for field in line) for line in lines]
    total = sum(Decimal(line[12]) for line in lines if line[9] != "REFUND")
    refunded = sum(Decimal(line[16]) for line in lines)
    fees = sum(Decimal(line[22]) for line in lines)
    summary = [str(len(lines)), f"{total:.2f}", f"{refunded:.2f}", "0.00", f"{fees:.5f}"]
    summary += [f"{total:.2f}", f"{refunded:.2f}"]
    return "\n".join([HEADER, *rows, SUMMARY, ",".join("`" + f for f in summary)]) + "\n"


def _payment(paid: dict[str, Any], appid: str, sub_mchid: str, total: int) -> list[str]:
    amount = _yuan(total)
    fee = _fee(total)
    return [
        _local(paid["success_time"]),
        appid,
        sandbox_keys()["mchid"],
        sub_mchid,
        "",
        paid["transaction_id"],
        paid["out_trade_no"],
        (paid.get("payer") or {}).get("openid", ""),
        "JSAPI",
        "SUCCESS",
        "OTHERS",
        "CNY",
        amount,
        "0.00",
        "0",
        "0",
        "0.00",
        "0.00",
        "",
        "",
        str(paid.get("description") or ""),
        str(paid.get("attach") or ""),
        f"{fee:.5f}",
        "0.60%",
        amount,
        "0.00",
        "",
    ]


def _refund(refund: dict[str, Any]) -> list[str]:
    """A refund's line: the part of the payment's fee given back with it, negative."""
    given_back = _fee(refund["amount"]["refund"])
    return [
        _local(refund["create_time"]),
        "",
        sandbox_keys()["mchid"],
        str(refund.get("sub_mchid") or "0"),
        "",
        refund["transaction_id"],
        refund["out_trade_no"],
        "",
        "JSAPI",
        "REFUND",
        "OTHERS",
        "CNY",
        _yuan(refund["amount"]["total"]),
        "0.00",
        refund["refund_id"],
        refund["out_refund_no"],
        _yuan(refund["amount"]["refund"]),
        "0.00",
        "ORIGINAL",
        "SUCCESS" if refund["status"] == "SUCCESS" else "PROCESSING",
        "",
        "",
        f"{-given_back:.5f}",
        "0.60%",
        _yuan(refund["amount"]["total"]),
        _yuan(refund["amount"]["refund"]),
        "",
    ]


def _fee(fen: int) -> Decimal:
    """WeChat Pay's fee on an amount, yuan to five decimals (given back in proportion on a
    refund: 「Refunded service fee = Actual refund amount * service fee rate」)."""
    return (Decimal(fen) / 100 * FEE_RATE).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


Move = tuple[str, str, str, str, str, bool, int]  # at, numbers, name, kind, income, fen


def _fund_flow_text(day: date) -> str | None:
    """The platform's basic account that day, in the documented layout
    (https://pay.weixin.qq.com/docs/merchant/products/bill-download/structure/fund-bill.html)."""
    moves = [m for m in _account_moves() if _day(m[0]) == day]
    if not moves:
        return None
    balance, rows = 0, []
    for at, business_no, voucher, name, kind, income, fen in sorted(moves):
        balance += fen if income else -fen
        # the movement's own number: the same in every download of the bill
        flow_no = "42" + hashlib.sha1(f"{business_no}:{kind}".encode()).hexdigest()[:26]
        direction = "收入" if income else "支出"
        fields = [_local(at), business_no, flow_no, name, kind, direction, _yuan(fen)]
        rows.append(",".join("`" + f for f in [*fields, _yuan(balance), "system", "", voucher]))
    incomes = [m[-1] for m in moves if m[5]]
    expenses = [m[-1] for m in moves if not m[5]]
    summary = [f"{len(moves)}.0", f"{len(incomes)}.0", _yuan(sum(incomes))]
    summary += [f"{len(expenses)}.0", _yuan(sum(expenses))]
    summary_line = ",".join("`" + f for f in summary)
    return "\n".join([FUND_HEADER, *rows, FUND_SUMMARY, summary_line]) + "\n"


def _account_moves() -> list[Move]:
    """Every movement of the platform's basic account: a direct merchant's payments (交易, less
    扣除交易手续费) and refunds (退款); in marketplace mode the commissions profit sharing
    brought in (分账: 微信支付业务单号 the receiver's detail_id, 业务凭证号 the out_order_no;
    which numbers WeChat Pay writes there no document says) and those returned (分账回退, the
    local WeChat Pay's own name for it)."""
    store = database().sandbox_wechatpay
    moves: list[Move] = []
    for paid in store.find({"kind": "transaction", "trade_state": {"$in": ["SUCCESS", "REFUND"]}}):
        at, total = paid["success_time"], int(paid["amount"]["total"])
        numbers = (paid["transaction_id"], paid["out_trade_no"])
        moves.append((at, *numbers, "交易", "交易", True, total))
        fee = int(_fee(total) * 100)  # whole fen taken from the account
        if fee:
            moves.append((at, *numbers, "交易", "扣除交易手续费", False, fee))
    direct_refunds = {"kind": "refund", "status": "SUCCESS", "sub_mchid": {"$exists": False}}
    for refund in store.find(direct_refunds):
        numbers = (refund["refund_id"], refund["out_refund_no"])
        moves.append(
            (refund["success_time"], *numbers, "退款", "退款", False, refund["amount"]["refund"])
        )
    for split in store.find({"kind": "split", "status": "FINISHED"}):
        for receiver in split["receivers"]:
            if receiver.get("result") == "SUCCESS" and receiver.get("amount"):
                numbers = (receiver["detail_id"], split["out_order_no"])
                moves.append(
                    (receiver["finish_time"], *numbers, "分账", "分账", True, receiver["amount"])
                )
    for given in store.find({"kind": "return", "result": "SUCCESS"}):
        numbers = (given["return_no"], given["out_return_no"])
        moves.append(
            (given["finish_time"], *numbers, "分账回退", "分账回退", False, given["amount"])
        )
    return moves


def _day(moment: Any) -> date | None:
    if not moment:
        return None
    return datetime.fromisoformat(str(moment)).astimezone(CST).date()


def _local(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")
