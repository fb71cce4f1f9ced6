"""A merchant's 二级商户 at WeChat Pay (平台收付通), asked before it is kept: in marketplace mode
merchant_save records a sub_mchid only as WeChat Pay describes it, so a typo or a number of
another platform never becomes the account a buyer's money is sent to (docs/decisions/0025).

Onboarding itself (进件) happens in WeChat Pay's own flow. Its application number
(`out_request_no`) tells its state exactly; a sub_mchid alone is taken as active when WeChat
Pay answers its balance, which it does only for this platform's own 二级商户.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from retail.catalog import MerchantSaved, Payee, PayeeState, SaveMerchant, save_merchant
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, InvalidArgument
from retail.common.operator import Operator, Role
from retail.common.settings import settings
from retail.store import Db

from .client import WeChatPayClient
from .connect import wechatpay_client

# applyment_state (pay.weixin.qq.com/docs/partner/apis/ecommerce-merchant-application/
# applyment/get-state-by-out-request-no.html)
APPLYMENT_STATES = {
    "CHECKING": PayeeState.APPLYING,
    "ACCOUNT_NEED_VERIFY": PayeeState.APPLYING,
    "AUDITING": PayeeState.APPLYING,
    "NEED_SIGN": PayeeState.APPLYING,
    "FINISH": PayeeState.ACTIVE,
    "REJECTED": PayeeState.REFUSED,
    "FROZEN": PayeeState.REFUSED,
    "CANCELED": PayeeState.REFUSED,
}
BALANCE_FOUND = "BALANCE_FOUND"  # our word: WeChat Pay answered the sub-merchant's balance


def save_merchant_account(
    cmd: SaveMerchant,
    *,
    operator: Operator,
    db: Db | None = None,
    client: WeChatPayClient | None = None,
) -> MerchantSaved:
    """merchant_save: the merchant, with its sub-merchant as WeChat Pay describes it. Raises
    InvalidArgument (WeChat Pay knows no such sub-merchant or application, or they disagree),
    Conflict (another merchant has that sub-merchant) and UpstreamUnavailable (WeChat Pay did
    not answer: nothing is written)."""
    operator.require(Role.ADMIN, what="save merchants")
    db = db if db is not None else database()
    payee = None
    if cmd.sub_mchid or cmd.out_request_no:
        payee = described_payee(cmd.sub_mchid, cmd.out_request_no, client)
        taken = db.merchants.find_one(
            {"payee.sub_mchid": payee["sub_mchid"], "_id": {"$ne": cmd.merchant_id}}, {"_id": 1}
        )
        if taken is not None:  # its sales would be paid into another merchant's account
            raise Conflict(
                f"sub-merchant {payee['sub_mchid']} is merchant {taken['_id']}'s",
                merchant_id=taken["_id"],
            )
    return save_merchant(cmd, operator=operator, payee=payee, db=db)


def described_payee(
    sub_mchid: str | None, out_request_no: str | None, client: WeChatPayClient | None
) -> Payee:
    now = utcnow()
    if settings().payment_mode != "marketplace":  # nobody's money goes there: kept unchecked
        if not sub_mchid:
            raise InvalidArgument("an application is looked up in marketplace mode only")
        return Payee(
            sub_mchid=sub_mchid,
            out_request_no=out_request_no,
            state=PayeeState.UNCHECKED,
            wechatpay_state="",
            checked_at=now,
        )
    client = client or wechatpay_client()
    if out_request_no:
        return _by_application(client, sub_mchid, out_request_no)
    assert sub_mchid is not None
    balance = f"/v3/ecommerce/fund/balance/{urllib.parse.quote(sub_mchid, safe='')}"
    _asked(client, balance, f"sub-merchant {sub_mchid}", "sub_mchid")
    return Payee(
        sub_mchid=sub_mchid,
        out_request_no=None,
        state=PayeeState.ACTIVE,
        wechatpay_state=BALANCE_FOUND,
        checked_at=now,
    )


def _by_application(client: WeChatPayClient, sub_mchid: str | None, number: str) -> Payee:
    quoted = urllib.parse.quote(number, safe="")
    path = f"/v3/ecommerce/applyments/out-request-no/{quoted}"
    answer = _asked(client, path, f"application {number}", "out_request_no")
    state = str(answer.get("applyment_state") or "")
    theirs = answer.get("sub_mchid") or None  # given from NEED_SIGN on
    if sub_mchid and theirs and theirs != sub_mchid:
        raise InvalidArgument(
            f"application {number} is sub-merchant {theirs}, not {sub_mchid}", path="sub_mchid"
        )
    if not (theirs or sub_mchid):
        raise InvalidArgument(
            f"application {number} has no sub_mchid yet (WeChat Pay: {state})",
            path="out_request_no",
        )
    return Payee(
        sub_mchid=str(theirs or sub_mchid),
        out_request_no=number,
        state=APPLYMENT_STATES.get(state, PayeeState.APPLYING) if theirs else PayeeState.APPLYING,
        wechatpay_state=state,
        checked_at=utcnow(),
    )


def _asked(client: WeChatPayClient, path: str, what: str, field: str) -> dict[str, Any]:
    """WeChat Pay's answer about `what`. Raises InvalidArgument naming `field` where it
    refuses: unknown to it, or not this platform's (NO_AUTH: no 受理关系)."""
    answer = client.call("GET", path, None, missing_ok=True, refusal_ok=True)
    if answer is None or answer.get("code"):
        said = f"{answer['code']}: {answer.get('message', '')}" if answer else "not found"
        raise InvalidArgument(f"WeChat Pay has no {what} of this platform ({said})", path=field)
    return answer
