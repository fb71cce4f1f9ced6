"""The combined payment and the sub-merchants' refunds against WeChat Pay's own examples
(tests/golden/wechatpay/): what we send has the document's shape, and what the document says
comes back is read as it says."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from retail.payments.combined import as_transaction, combined_prepay, sub_orders_match
from retail.payments.combined_refunds import ecommerce_refund, query_ecommerce_refund

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "wechatpay"


def golden(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    return data


class Config:
    appid, mchid = "wxd678efh567hg6787", "1900000109"
    notify_url = "https://yourapp.com/notify"
    refund_notify_url = "https://weixin.qq.com"


class Recorder:
    """A client that keeps what it was asked to send and answers the document's example."""

    config = Config()

    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.answer, self.calls = answer, []

    def call(self, method: str, path: str, payload: Any, **_: Any) -> dict[str, Any] | None:
        self.calls.append((method, path, payload))
        return self.answer


ORDER: dict[str, Any] = {
    "_id": "20150806125346",
    "out_trade_no": "20150806125346",
    "lines": [{"merchant_id": "m1", "title": "腾讯充值中心-QQ会员充值", "amount": 10}],
}
SUB_ORDER = {
    "merchant_id": "m1",
    "sub_mchid": "1230000109",
    "out_trade_no": "20150806125346",
    "amount": 10,
    "subsidy": 0,
}


def test_the_combined_prepay_has_the_documents_fields_and_reads_its_answer():
    example = golden("combined_prepay.json")
    client = Recorder(example["answer"])
    expire = datetime(2019, 12, 31, 8, 59, 59, tzinfo=timezone.utc)
    prepay_id = combined_prepay(
        client, ORDER, [SUB_ORDER], openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", time_expire=expire
    )
    assert prepay_id == example["answer"]["prepay_id"]
    ((method, path, sent),) = client.calls
    assert (method, path) == ("POST", "/v3/combine-transactions/jsapi")
    document = example["request"]
    optional = {"scene_info", "time_start"}  # 选填, not sent
    assert set(sent) == set(document) - optional
    for field in ("combine_out_trade_no", "combine_mchid", "combine_appid", "combine_payer_info"):
        assert sent[field] == document[field], field
    (ours,), (theirs,) = sent["sub_orders"], document["sub_orders"]
    assert set(ours) == set(theirs) | {"settle_info"}  # 结算信息: profit sharing, subsidy
    mine = {"attach"}  # 附加数据, ours to choose: the order's id
    assert {k: ours[k] for k in theirs if k not in mine} == {
        k: v for k, v in theirs.items() if k not in mine
    }
    assert ours["attach"] == ORDER["_id"] and len(ours["attach"]) <= 128
    assert ours["settle_info"] == {"profit_sharing": True, "subsidy_amount": 0}
    assert datetime.fromisoformat(sent["time_expire"]) == datetime.fromisoformat(
        document["time_expire"]
    )


def test_the_documents_query_answer_and_notification_read_as_one_paid_transaction():
    for answer in (
        golden("combined_query.json")["answer"],
        golden("combined_notification.json")["resource"],
    ):
        tx = as_transaction(answer)
        assert tx["trade_state"] == "SUCCESS"
        assert tx["amount"] == {"total": 10}
        assert tx["transaction_id"] == "1009660380201506130728806387"
        assert tx["out_trade_no"] == answer["combine_out_trade_no"]
        assert (tx["mchid"], tx["appid"]) == (answer["combine_mchid"], answer["combine_appid"])


def test_the_documents_notification_matches_the_plan_it_was_made_from():
    resource = golden("combined_notification.json")["resource"]
    tx = as_transaction(resource)
    order = {**ORDER, "sub_orders": [SUB_ORDER]}
    assert sub_orders_match(order, tx)  # the example names no sub_mchid: the plan's stands
    other = {**ORDER, "sub_orders": [{**SUB_ORDER, "amount": 11}]}
    assert not sub_orders_match(other, tx)


def test_the_sub_merchants_refund_has_the_documents_fields():
    example = golden("ecommerce_refund.json")
    client = Recorder(example["answer"])
    record = {
        "_id": "1217752501201407033233368018",
        "sub_mchid": "1900000109",
        "out_trade_no": "1217752501201407033233368018",
        "reason": "商品已售完",
        "amount": 888,
        "total": 888,
    }
    client.config.appid = "wx8888888888888888"
    try:
        assert ecommerce_refund(client, record) == example["answer"]
    finally:
        client.config.appid = Config.appid
    ((method, path, sent),) = client.calls
    assert (method, path) == ("POST", "/v3/ecommerce/refunds/apply")
    document = example["request"]
    # sub_appid (the sub-merchant's own app), transaction_id (out_trade_no given instead) and
    # refund_account (its default is the sub-merchant) are optional
    assert set(sent) == set(document) - {"sub_appid", "transaction_id", "refund_account"}
    assert {k: sent[k] for k in sent if k != "notify_url"} == {
        k: document[k] for k in sent if k != "notify_url"
    }
    query = Recorder(None)
    assert query_ecommerce_refund(query, record) is None
    ((_, path, _),) = query.calls
    assert (
        path
        == "/v3/ecommerce/refunds/out-refund-no/1217752501201407033233368018?sub_mchid=1900000109"
    )
