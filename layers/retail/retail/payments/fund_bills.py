"""WeChat Pay's daily fund-flow bill (资金账单) of the platform's own account, read as WeChat Pay
documents it (docs/decisions/0025): `GET /v3/bill/fundflowbill` with account_type BASIC gives
a download address and the file's SHA1, made from 9:00 the next day; the file is a header,
one backquoted line per movement of money (记账时间, 微信支付业务单号, 资金流水单号, 业务名称,
业务类型, 收支类型, 收支金额(元), 账户结余(元), 资金变更提交申请人, 备注, 业务凭证号) and a
summary (资金流水总笔数, 收入笔数, 收入金额, 支出笔数, 支出金额)
(https://pay.weixin.qq.com/docs/merchant/products/bill-download/structure/fund-bill.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .client import WeChatPayClient
from .trade_bills import fetch_bill_file, read_bill, to_fen

SUMMARY = "资金流水总笔数"
INCOME = "收入"


@dataclass(frozen=True)
class FundRow:
    """One movement of money in or out of the account."""

    business_no: str  # 微信支付业务单号: WeChat Pay's number of the business
    flow_no: str  # 资金流水单号: this movement's own
    name: str  # 业务名称: 交易, 退款, 分账, ...
    kind: str  # 业务类型
    income: bool  # 收支类型 收入 (else 支出)
    amount: int  # 收支金额, fen
    voucher: str  # 业务凭证号: 「一般为商户订单号，不同的业务有所区别」


@dataclass(frozen=True)
class FundFlowBill:
    rows: list[FundRow]
    count: int  # the summary's 资金流水总笔数
    income: int  # 收入金额, fen
    expense: int  # 支出金额, fen


def fetch_fund_flow_bill(client: WeChatPayClient, day: date) -> FundFlowBill | None:
    """The day's fund-flow bill of the platform's basic account, its hash checked; None when
    WeChat Pay has none (no money moved). Raises UpstreamUnavailable while it is being made
    or cannot be had, ValueError for a file that does not read."""
    text = fetch_bill_file(client, "/v3/bill/fundflowbill", {"account_type": "BASIC"}, day)
    return parse_fund_flow_bill(text) if text is not None else None


def parse_fund_flow_bill(text: str) -> FundFlowBill:
    """Raises ValueError for a file that is not a fund-flow bill."""
    rows, summary = read_bill(text, SUMMARY)
    try:
        return FundFlowBill(
            rows=[_row(row) for row in rows],
            count=int(Decimal(summary.get(SUMMARY) or "0")),
            income=to_fen(summary.get("收入金额") or "0"),
            expense=to_fen(summary.get("支出金额") or "0"),
        )
    except ArithmeticError as exc:  # decimal's InvalidOperation: a field out of place
        raise ValueError(f"a fund-flow bill line that does not read: {exc}") from None


def _row(row: dict[str, str]) -> FundRow:
    return FundRow(
        business_no=row.get("微信支付业务单号", ""),
        flow_no=row.get("资金流水单号", ""),
        name=row.get("业务名称", ""),
        kind=row.get("业务类型", ""),
        income=row.get("收支类型", "") == INCOME,
        amount=to_fen(row.get("收支金额(元)") or "0"),
        voucher=row.get("业务凭证号", ""),
    )
