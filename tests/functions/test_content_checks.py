"""WeChat's content security before anyone else sees a review (issue 29 §4): text judged by
msg_sec_check when written, images by media_check_async with the answer pushed to
platform_event; risky is shown to nobody, review waits for an operator, an unreachable WeChat
holds rather than publishes. The local WeChat judges 违规样例 risky, 待审样例 review, and an
image whose key says "risky" or "needs-review" so (docs/contract.md)."""

from __future__ import annotations

from typing import Any

import pytest

from retail.adapters.wechat import wechat_api
from retail.common.errors import UpstreamUnavailable
from retail_dev.platform_journal import calls

from .harness import as_operator, call, completed_order, deliver_wechat_pushes

pytestmark = pytest.mark.usefixtures("review_images")
FOLDER = "reviews/o-test-user/"


def write(order: dict[str, Any], text: str = "甜", images: list[str] | None = None) -> Any:
    data = {"order_id": order["order_id"], "sku_id": "p-mango-1", "rating": 4, "text": text}
    return call("review_create", {**data, "images": images or []})


def shown() -> list[str]:
    page = call("review_list", {"product_id": "p-mango"}, None)["data"]
    return [r["text"] for r in page["reviews"]]


def rating(db: Any) -> dict[str, int]:
    return db.products.find_one({"_id": "p-mango"}).get("rating") or {"count": 0, "sum": 0}


def queue(held: str | None = None) -> list[dict[str, Any]]:
    data = {"held": held} if held else {}
    answer = as_operator("review_queue", data, "service")
    assert answer["code"] == "OK", answer
    reviews: list[dict[str, Any]] = answer["data"]["reviews"]
    return reviews


def test_plain_text_is_checked_as_a_comment_by_its_writer_and_shown_at_once(seeded):
    review = write(completed_order("content-0001"), "很甜，下次还买")["data"]
    assert review["held"] is None and shown() == ["很甜，下次还买"]
    (asked,) = [c["body"] for c in calls("/wxa/msg_sec_check")]
    assert asked == {
        "content": "很甜，下次还买",
        "version": 2,
        "scene": 2,
        "openid": "o-test-user",
    }
    assert rating(seeded) == {"count": 1, "sum": 4}


def test_risky_text_is_shown_to_nobody_and_no_operator_can_show_it(seeded):
    review = write(completed_order("content-0002"), "这是违规样例")["data"]
    assert review["held"] == "RISKY"
    assert shown() == [] and rating(seeded) == {"count": 0, "sum": 0}
    (held,) = queue("RISKY")
    assert held["review_id"] == review["review_id"] and held["why"] == "文字：违规（时政）"
    show = {"review_id": review["review_id"], "hidden": False}
    refused = as_operator("review_moderate", show)
    assert refused["code"] == "CONFLICT" and refused["details"]["reason"] == "CONTENT_RISKY"
    as_operator("review_moderate", {"review_id": review["review_id"], "hidden": True})
    assert as_operator("review_moderate", show)["code"] == "CONFLICT"  # hiding it cleared nothing
    assert shown() == [] and rating(seeded) == {"count": 0, "sum": 0}


def test_text_wechat_wants_a_person_to_see_waits_for_an_operator(seeded):
    review = write(completed_order("content-0003"), "待审样例，还行")["data"]
    assert review["held"] == "REVIEW" and shown() == []
    assert [r["review_id"] for r in queue()] == [review["review_id"]]
    approved = as_operator("review_moderate", {"review_id": review["review_id"], "hidden": False})
    assert approved["code"] == "OK" and approved["data"]["held"] is None
    assert shown() == ["待审样例，还行"] and rating(seeded) == {"count": 1, "sum": 4}
    assert queue() == []


def test_when_wechat_cannot_be_reached_the_review_is_held_not_published(seeded, monkeypatch):
    order = completed_order("content-0004")

    def unreachable(*_args: Any) -> Any:
        raise UpstreamUnavailable("WeChat did not answer; try again")

    monkeypatch.setattr(wechat_api().transport, "post_json", unreachable)
    review = write(order, "好吃", [FOLDER + "a.jpg"])["data"]
    monkeypatch.undo()
    assert review["held"] == "UNCHECKED" and shown() == []
    (held,) = queue("UNCHECKED")
    assert held["images"][0]["judgement"] == "UNCHECKED"
    as_operator("review_moderate", {"review_id": review["review_id"], "hidden": False})
    assert shown() == ["好吃"]


@pytest.mark.parametrize(
    ("errcode", "result"),
    [(61010, None), (0, {"suggest": "unknown"}), ("x", {"suggest": "pass"}), (0, "pass")],
)
def test_an_answer_that_is_not_a_judgement_holds_the_review(seeded, monkeypatch, errcode, result):
    order = completed_order("content-odd-answer")
    answer = {"errcode": errcode, "errmsg": "?", "result": result}
    monkeypatch.setattr(wechat_api().transport, "post_json", lambda *_args: answer)
    review = write(order, "好吃")["data"]
    monkeypatch.undo()
    assert review["held"] == "UNCHECKED" and shown() == []


def test_images_wait_for_wechats_pushed_answer_then_the_review_shows(seeded):
    order = completed_order("content-0005")
    review = write(order, "图", [FOLDER + "1.jpg", FOLDER + "2.jpg"])["data"]
    assert review["held"] == "PENDING" and shown() == []
    assert rating(seeded) == {"count": 0, "sum": 0}
    asked = [c["body"] for c in calls("/wxa/media_check_async")]
    assert [(a["media_type"], a["version"], a["scene"], a["openid"]) for a in asked] == [
        (2, 2, 2, "o-test-user")
    ] * 2
    assert all(FOLDER in a["media_url"] for a in asked)  # a link WeChat can download
    assert deliver_wechat_pushes() == [200, 200]
    assert shown() == ["图"] and rating(seeded) == {"count": 1, "sum": 4}
    assert deliver_wechat_pushes() == []


def test_one_risky_image_keeps_the_whole_review_from_everyone(seeded):
    review = write(completed_order("content-0006"), "图", [FOLDER + "ok.jpg", FOLDER + "risky.jpg"])
    deliver_wechat_pushes()
    assert shown() == [] and rating(seeded) == {"count": 0, "sum": 0}
    (held,) = queue("RISKY")
    assert held["review_id"] == review["data"]["review_id"]
    assert held["why"] == "图片 risky.jpg：违规（色情）"


def test_an_image_wechat_could_not_download_waits_for_an_operator(seeded):
    write(completed_order("content-0007"), "图", [FOLDER + "undownloadable.jpg"])
    deliver_wechat_pushes()
    (held,) = queue()
    assert held["held"] == "UNCHECKED" and shown() == []


def test_an_image_found_risky_after_an_operator_showed_the_review_hides_it_again(seeded):
    review = write(completed_order("content-0008"), "图", [FOLDER + "risky.jpg"])["data"]
    as_operator("review_moderate", {"review_id": review["review_id"], "hidden": False})
    assert shown() == ["图"] and rating(seeded) == {"count": 1, "sum": 4}
    deliver_wechat_pushes()
    assert shown() == [] and rating(seeded) == {"count": 0, "sum": 0}


def test_a_review_an_operator_hid_stays_hidden_when_its_images_pass(seeded):
    review = write(completed_order("content-0009"), "图", [FOLDER + "fine.jpg"])["data"]
    as_operator("review_moderate", {"review_id": review["review_id"], "hidden": True})
    deliver_wechat_pushes()
    assert shown() == [] and queue() == []


def test_a_pushed_answer_delivered_twice_counts_the_review_once(seeded):
    from retail_dev.wechat_push_sender import PUSHES

    write(completed_order("content-0010"), "图", [FOLDER + "fine.jpg"])
    deliver_wechat_pushes()
    seeded[PUSHES].update_many({}, {"$set": {"state": "queued"}})  # WeChat sends again
    assert deliver_wechat_pushes() == [200]
    assert rating(seeded) == {"count": 1, "sum": 4}


def test_feedback_text_is_checked_and_risky_tickets_are_flagged_for_staff(seeded):
    plain = call("feedback_create", {"kind": "suggestion", "text": "多进点芒果"})["data"]
    risky = call("feedback_create", {"kind": "complaint", "text": "违规样例投诉"})["data"]
    assert plain["content_check"] == "PASS" and risky["content_check"] == "RISKY"
    tickets = as_operator("feedback_queue", {}, "service")["data"]["tickets"]
    assert {t["content_check"] for t in tickets} == {"PASS", "RISKY"}


def test_an_image_wechat_wants_a_person_to_see_waits_for_an_operator(seeded):
    write(completed_order("content-0011"), "图", [FOLDER + "needs-review.jpg"])
    deliver_wechat_pushes()
    (held,) = queue("REVIEW")
    assert held["images"][0]["judgement"] == "REVIEW" and shown() == []


def test_an_answer_pushed_before_the_asking_call_recorded_it_still_decides(seeded, monkeypatch):
    from retail.content import record_image_result

    order = completed_order("content-0012")

    def quick(_openid: str, _scene: int, _url: str) -> str:
        assert record_image_result(seeded, "trace-quick", "pass", 100) is None  # not ours yet
        return "trace-quick"

    monkeypatch.setattr(wechat_api(), "check_image_async", quick)
    review = write(order, "图", [FOLDER + "quick.jpg"])["data"]
    assert review["held"] is None and shown() == ["图"]
    assert rating(seeded) == {"count": 1, "sum": 4}
