"""A buyer whose first call is not user_login is a user all the same: the mini-program cannot
make the login round trip finish before a shared link opens or an order is placed."""

from __future__ import annotations

import json

import pytest

from retail.common.pseudonyms import pseudonym
from retail.orders import mark_paid

from ..conftest import business_state
from .harness import call, cloudbase_context, handler, sample


def ship_and_confirm(order_id: str) -> None:
    admin = {"RETAIL_DEV_OPERATOR": "op:admin", "environment": json.dumps({})}
    shipped = handler("order_ship")(
        {"order_id": order_id, "carrier": "SF", "tracking_no": "SF0001"}, admin
    )
    assert shipped["code"] == "OK", shipped
    assert call("order_confirm", {"order_id": order_id}, openid="o-first")["code"] == "OK"


def completed_order_points(seeded, *, log_in_first: bool) -> int:
    if log_in_first:
        assert call("user_login", {}, openid="o-first")["code"] == "OK"
    order = call("order_place", sample("order_place"), openid="o-first")["data"]
    assert mark_paid(seeded, order["order_id"], "TX-first", order["total"]) is not None
    ship_and_confirm(order["order_id"])
    return int(seeded.users.find_one({"_id": "o-first"})["points"])


@pytest.mark.parametrize("log_in_first", [True, False])
def test_a_buyer_who_never_logged_in_keeps_the_points_of_a_completed_order(seeded, log_in_first):
    assert completed_order_points(seeded, log_in_first=log_in_first) == 87  # 1 a yuan of 87.70


def test_a_first_visit_through_a_share_rewards_the_inviter(seeded):
    assert call("user_login", {}, openid="o-inviter")["code"] == "OK"
    code = call("share_create", {"product_id": "p-mango"}, openid="o-inviter")["data"]
    reward = call("share_reward", {"share_code": code["share_code"]}, openid="o-newcomer")
    assert reward["data"] == {
        "inviter": pseudonym("o-inviter"),
        "bound": True,
        "points_awarded": 50,
    }
    user = seeded.users.find_one({"_id": "o-newcomer"})
    assert user is not None and user["first_seen_at"] is not None and user["points"] == 0


def test_the_entry_scene_is_kept_when_user_login_comes_after_another_call(seeded):
    call("catalog_browse", {}, openid="o-early")
    assert seeded.users.find_one({"_id": "o-early"})["entry_scene"] is None
    call("user_login", {"scene": 1007}, openid="o-early")
    call("user_login", {"scene": 1001}, openid="o-early")
    user = seeded.users.find_one({"_id": "o-early"})
    assert (user["entry_scene"], user["last_scene"]) == (1007, 1001)


def test_a_first_visit_that_only_tracks_events_records_its_entry_scene(seeded):
    """The page opened from a share card reports its view before user_login returns: the
    scene of that first event is the user's entry scene, and later ones do not replace it."""
    view = {"type": "product_view", "product_id": "p-mango", "scene": 1007}
    assert call("track", {"events": [view]}, openid="o-tracked")["code"] == "OK"
    assert seeded.users.find_one({"_id": "o-tracked"})["entry_scene"] == 1007
    call("track", {"events": [{**view, "scene": 1001}]}, openid="o-tracked")
    call("user_login", {"scene": 1089}, openid="o-tracked")
    user = seeded.users.find_one({"_id": "o-tracked"})
    assert (user["entry_scene"], user["last_scene"]) == (1007, 1089)


def test_a_user_first_seen_by_track_keeps_the_platform_facts(seeded):
    view = {"type": "product_view", "product_id": "p-mango", "scene": 1007}
    context = {**cloudbase_context("o-union", WX_UNIONID="u-42"), "function_name": "track"}
    assert handler("track")({"events": [view]}, context)["code"] == "OK"
    user = seeded.users.find_one({"_id": "o-union"})
    assert (user["entry_scene"], user["unionid"], user["appid"]) == (1007, "u-42", "wx-test")


def test_a_refused_first_call_makes_no_user(seeded):
    before = business_state(seeded)
    assert call("order_get", {"order_id": "NOPE"}, openid="o-refused")["code"] == "NOT_FOUND"
    assert call("catalog_browse", {"page": 0}, openid="o-refused")["code"] == "INVALID_ARGUMENT"
    assert business_state(seeded) == before
