"""The words of a promoter's withdrawal: its states, what WeChat Pay says of its transfer
bill, what the referral package asks of WeChat Pay, and what a promoter or operator sees.
withdrawals.py takes the money, withdrawal_bills.py pays it out (docs/decisions/0023)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from retail.common.models import OUT
from retail.common.vocabulary import Word


class WithdrawalState(Word):
    CLAIMING = "CLAIMING"  # written; its amount not yet taken from the balance
    REVIEWING = "REVIEWING"  # waits for an operator
    TRANSFERRING = "TRANSFERRING"  # the transfer bill is being created
    WAIT_USER_CONFIRM = "WAIT_USER_CONFIRM"  # the promoter confirms in the mini-program
    WITHDRAWN = "WITHDRAWN"
    RETURNED = "RETURNED"  # WeChat Pay failed or cancelled it: the money is available again
    REJECTED = "REJECTED"  # an operator refused it: the money is available again
    REFUSED = "REFUSED"  # more than was available: nothing was taken


S = WithdrawalState
OPEN = [S.CLAIMING, S.REVIEWING, S.TRANSFERRING, S.WAIT_USER_CONFIRM]
REFUSED = "REFUSED"  # WeChat Pay answered an error, no bill state (Bill.fail_reason: its code)


@dataclass(frozen=True)
class Bill:
    """What WeChat Pay says of a transfer bill."""

    state: str
    transfer_bill_no: str | None = None
    package_info: str | None = None
    fail_reason: str | None = None


@dataclass(frozen=True)
class Transfers:
    """What the referral package asks of WeChat Pay (payments.WECHAT_PAY_TRANSFERS)."""

    create: Callable[[str, str, int, str | None], Bill]  # out_bill_no, openid, fen, real name
    query: Callable[[str], Bill | None]  # None: WeChat Pay never heard of it
    mch_id: str
    app_id: str


class WithdrawalView(BaseModel):
    model_config = OUT
    withdrawal_id: str
    amount: int
    status: WithdrawalState
    package_info: str | None = Field(None, description="wx.requestMerchantTransfer's package")
    mch_id: str | None = None
    app_id: str | None = None
    fail_reason: str | None = None
    created_at: datetime


def view_of(doc: dict[str, Any], transfers: Transfers | None) -> WithdrawalView:
    waiting = doc["state"] == S.WAIT_USER_CONFIRM and transfers is not None
    return WithdrawalView(
        withdrawal_id=doc["_id"],
        amount=doc["amount"],
        status=doc["state"],
        package_info=doc.get("package_info") if waiting else None,
        mch_id=transfers.mch_id if waiting and transfers else None,
        app_id=transfers.app_id if waiting and transfers else None,
        fail_reason=doc.get("fail_reason"),
        created_at=doc["created_at"],
    )
