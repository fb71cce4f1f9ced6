"""WeChat Pay's daily trade bill (交易账单), fetched and read as WeChat Pay documents it
(docs/decisions/0025): `GET /v3/bill/tradebill` gives a download address and the file's SHA1,
the file is a CSV whose detail and summary parts each have a header line, every field written
with a leading backquote, amounts in yuan (fees to five decimals). Columns are read by their
header's name: the layouts of ALL, SUCCESS and REFUND differ, and some merchants still have
an early one (https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html)."""

from __future__ import annotations

import hashlib
import unicodedata
import urllib.parse
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from retail.common.errors import UpstreamUnavailable

from .client import WeChatPayClient

SUMMARY = "总交易单数"  # the first header of the summary part
NO_BILL = "NO_STATEMENT_EXIST"  # no transaction that day
# Refusals worth waiting out: the bill is being made, too many asks. Any other is lasting.
NOT_YET = frozenset({"STATEMENT_CREATING", "FREQUENCY_LIMITED"})


class BillRefused(ValueError):
    """WeChat Pay refused a bill for a reason that waiting does not change (a permission,
    an account type not opened): the day is an operator's, the days go on."""


@dataclass(frozen=True)
class BillRow:
    """One detail line: a payment (status SUCCESS, or REVOKED) or a refund (REFUND)."""

    status: str  # 交易状态
    out_trade_no: str  # 商户订单号
    transaction_id: str  # 微信订单号
    sub_mchid: str  # 特约商户号: "0" for a direct merchant's own trade
    amount: int  # 应结订单金额 (订单金额 in an early layout), fen
    out_refund_no: str  # 商户退款单号 ("0" on a payment)
    refund: int  # 退款金额, fen
    fee: Decimal | None  # 手续费, yuan to five decimals (negative on a refund: given back);
    # None where the layout has no fee column: no fee is known, none is kept


@dataclass(frozen=True)
class TradeBill:
    rows: list[BillRow]
    count: int  # 总交易单数 of the summary
    fees: Decimal | None  # 手续费总金额 of the summary, where it has one

    def summary_differs(self) -> dict[str, list[str]] | None:
        """Whether the lines read do not add up to the bill's own summary (a file read short
        or in a layout misread), with the two sides; None when they do."""
        fees = [r.fee for r in self.rows if r.fee is not None]
        fees_differ = self.fees is not None and sum(fees, Decimal(0)) != self.fees
        if len(self.rows) == self.count and not fees_differ:
            return None
        return {
            "lines": [str(len(self.rows)), str(self.count)],
            "fees": [str(sum(fees, Decimal(0))), str(self.fees)],
        }


def fetch_trade_bill(client: WeChatPayClient, day: date) -> TradeBill | None:
    """The day's bill, its hash checked; None when WeChat Pay has none (no trade that day).
    Raises UpstreamUnavailable while it is still being made, or when it cannot be had."""
    text = fetch_bill_file(client, "/v3/bill/tradebill", {"bill_type": "ALL"}, day)
    return parse_trade_bill(text) if text is not None else None


def fetch_bill_file(
    client: WeChatPayClient, path: str, query: dict[str, str], day: date
) -> str | None:
    """A day's bill file of either kind (trade, fund flow): asked for its address and hash,
    downloaded, checked; None when WeChat Pay says there is none (NO_STATEMENT_EXIST).
    Raises UpstreamUnavailable while it is still being made, or when it cannot be had."""
    asked = urllib.parse.urlencode({"bill_date": day.isoformat(), **query})
    answer = client.call("GET", f"{path}?{asked}", None, refusal_ok=True) or {}
    code = answer.get("code")
    if code == NO_BILL:
        return None
    if code and code not in NOT_YET:
        raise BillRefused(f"WeChat Pay refused the bill of {day}: {code} {answer.get('message')}")
    if code or not answer.get("download_url"):
        raise UpstreamUnavailable(f"WeChat Pay's bill of {day}: {code}")
    text = client.download(str(answer["download_url"]))
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    if digest.lower() != str(answer.get("hash_value", "")).lower():
        raise UpstreamUnavailable(f"WeChat Pay's bill of {day} does not match its hash")
    return text


def parse_trade_bill(text: str) -> TradeBill:
    """The bill's rows and its summary count. Raises ValueError for a file that is not one."""
    rows, summary = read_bill(text, SUMMARY)
    fees = summary.get("手续费总金额")
    try:
        return TradeBill(
            [_row(row) for row in rows],
            int(Decimal(summary.get(SUMMARY) or "0")),
            Decimal(fees) if fees else None,
        )
    except ArithmeticError as exc:  # decimal's InvalidOperation: a field out of place
        raise ValueError(f"a bill line that does not read: {exc}") from None


def read_bill(text: str, summary_starts: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    """A bill file's detail lines and its summary, each field by its header's name (the
    summary's header starts with `summary_starts`). Raises ValueError for a file that is
    not one."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("an empty bill")
    split = next(
        (n for n, line in enumerate(lines) if _name(line.split(",")[0]) == summary_starts), None
    )
    if split is None or split + 1 >= len(lines):
        raise ValueError("a bill without its summary")
    header = [_name(h) for h in lines[0].split(",")]
    names = [_name(h) for h in lines[split].split(",")]
    summary = dict(zip(names, _fields(lines[split + 1]), strict=False))
    rows = [dict(zip(header, _fields(line), strict=False)) for line in lines[1:split]]
    return rows, summary


def _fields(line: str) -> list[str]:
    """A data line's fields. Each starts with a backquote and none is quoted, so a comma
    inside a field (a product title) is not a separator: only a comma before a backquote is."""
    return line.lstrip("\ufeff").removeprefix("`").split(",`")


def _name(header: str) -> str:
    """A header as written, full-width punctuation made half-width (「（元）」 and 「(元)」 both
    occur)."""
    return unicodedata.normalize("NFKC", header).strip().lstrip("\ufeff")


def _row(row: dict[str, str]) -> BillRow:
    """A line read by its columns' names: the payment's 订单金额 (what WeChat Pay charged, our
    total; 应结订单金额 is it less a no-recharge coupon), 总金额 in the early layout; the
    refund's 申请退款金额 (what we asked) before 退款金额."""
    amount = row.get("订单金额") or row.get("总金额") or row.get("应结订单金额") or "0"
    refund = row.get("申请退款金额") or row.get("退款金额") or "0"
    return BillRow(
        status=row.get("交易状态", ""),
        out_trade_no=row.get("商户订单号", ""),
        transaction_id=row.get("微信订单号", ""),
        sub_mchid=row.get("特约商户号") or row.get("子商户号") or "0",
        amount=to_fen(amount),
        out_refund_no=row.get("商户退款单号", "0") or "0",
        refund=to_fen(refund),
        fee=Decimal(row["手续费"] or "0") if "手续费" in row else None,
    )


def to_fen(yuan: str) -> int:
    return int((Decimal(yuan) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
