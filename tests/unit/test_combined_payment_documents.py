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


SHARE = {
    "_id": "20150806125346",
    "sub_mchid": "1900000109",
    "transaction_id": "4208450740201411110007820472",
    "out_order_no": "P20150806125346",
    "out_subsidy_no": "P20150806125347",
    "out_return_no": "R20190516001",
    "commission": 100,
    "subsidy": 10,
    "return_amount": 10,
}


def test_the_split_the_finish_and_their_query_have_the_documents_fields():
    from retail.payments import sharing_api

    example = golden("ecommerce_profit_sharing.json")
    client = Recorder(example["answer"])
    client.config.appid = "wx8888888888888888"
    try:
        assert sharing_api.split(client, SHARE) == example["answer"]
        sharing_api.finish(client, SHARE)
        client.answer = example["query_answer"]
        assert sharing_api.query_split(client, SHARE)["status"] == "FINISHED"
    finally:
        client.config.appid = Config.appid
    (_, split_path, split), (_, finish_path, done), (method, query, _) = client.calls
    assert split_path == "/v3/ecommerce/profitsharing/orders"
    document = example["request"]
    assert set(split) == set(document)
    assert {k: split[k] for k in ("appid", "sub_mchid", "transaction_id", "out_order_no")} == {
        k: document[k] for k in ("appid", "sub_mchid", "transaction_id", "out_order_no")
    }
    (receiver,) = split["receivers"]
    # the platform itself receives (a default receiver in 平台收付通); receiver_name is only
    # for a receiver whose name must be checked
    assert set(receiver) == set(document["receivers"][0]) - {"receiver_name"}
    assert (receiver["type"], receiver["receiver_account"]) == ("MERCHANT_ID", Config.mchid)
    assert split["finish"] is True
    assert finish_path == "/v3/ecommerce/profitsharing/finish-order"
    assert {k: done[k] for k in example["finish_request"] if k != "description"} == {
        k: v for k, v in example["finish_request"].items() if k != "description"
    }
    assert (method, query) == ("GET", example["query"])


def test_the_subsidies_and_the_return_have_the_documents_fields():
    from retail.payments import sharing_api

    example = golden("ecommerce_subsidies.json")
    client = Recorder(example["create_answer"])
    sharing_api.pay_subsidy(client, SHARE)
    sharing_api.cancel_subsidy(client, SHARE)
    sharing_api.return_subsidy(client, SHARE, example["return_request"]["refund_id"])
    (_, create_path, create), (_, cancel_path, cancel), (_, return_path, back) = client.calls
    assert create_path == "/v3/ecommerce/subsidies/create"
    assert set(create) == set(example["create_request"])
    assert {k: create[k] for k in ("sub_mchid", "transaction_id", "amount")} == {
        k: example["create_request"][k] for k in ("sub_mchid", "transaction_id", "amount")
    }
    assert cancel_path == "/v3/ecommerce/subsidies/cancel"
    assert set(cancel) == set(example["cancel_request"])
    assert return_path == "/v3/ecommerce/subsidies/return"
    assert set(back) == set(example["return_request"])
    assert back["refund_id"] == example["return_request"]["refund_id"]


def test_the_return_of_a_split_has_the_documents_fields():
    from retail.payments import sharing_api

    example = golden("ecommerce_profit_sharing_return.json")
    client = Recorder(example["answer"])
    assert sharing_api.return_commission(client, SHARE) == example["answer"]
    sharing_api.query_return(client, SHARE)
    (_, path, sent), (method, query, _) = client.calls
    assert path == "/v3/ecommerce/profitsharing/returnorders"
    document = example["request"]
    # out_order_no given, so WeChat Pay's order_id (either one) is not; transaction_id is
    # needed for an order older than 6 months (WxJava's copy of the page), so it is sent
    assert set(sent) == (set(document) - {"order_id"}) | {"transaction_id"}
    assert sent["return_mchid"] == Config.mchid and sent["amount"] == SHARE["return_amount"]
    assert (method, query) == ("GET", example["query"])
