"""Hostile: track writes users."""
from __future__ import annotations

import json

from retail.users import visitors

from .harness import call, cloudbase_context, handler

VIEW = {"type": "product_view", "product_id": "p-mango", "scene": 1007}


def test_track_first_call_loses_appid_and_unionid(seeded):
    ctx = cloudbase_context("o-u1")
    env = json.loads(ctx["environment"])
    env["WX_CONTEXT_KEYS"] += ",WX_UNIONID"
    env["WX_UNIONID"] = "union-1"
    ctx["environment"] = json.dumps(env)
    assert handler("track")({"events": [VIEW]}, ctx)["code"] == "OK"
    u = seeded.users.find_one({"_id": "o-u1"})
    print(u)
    assert u.get("unionid") == "union-1" and u.get("appid") == "wx-test"


def test_track_from_another_warm_instance_recreates_an_erased_user(seeded):
    assert call("user_login", {}, openid="o-gone")["code"] == "OK"   # no scene
    assert call("user_delete", {"confirm": True}, openid="o-gone")["code"] == "OK"
    assert seeded.users.find_one({"_id": "o-gone"}) is None
    # another warm instance saw o-gone before the erasure (its _known still holds it)
    visitors._remember(visitors._known, "o-gone")
    call("track", {"events": [{**VIEW, "scene": None}]}, openid="o-gone")
    assert seeded.users.find_one({"_id": "o-gone"}) is None   # without a scene: not re-created
    call("track", {"events": [VIEW]}, openid="o-gone")
    assert seeded.users.find_one({"_id": "o-gone"}) is None, seeded.users.find_one({"_id": "o-gone"})
