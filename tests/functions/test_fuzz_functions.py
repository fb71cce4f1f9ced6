"""Every function, fed malformed, oversized, wrongly typed and hostile data (unicode, huge
numbers, nesting, Mongo operators in place of ids): the answer is always a typed error of
the contract, never INTERNAL, and a refused request writes nothing."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail.common.errors import ErrorCode

from ..conftest import business_state
from .harness import cloudbase_context, handler, sample

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/index.py"))
CODES = {code.value for code in ErrorCode}


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def _cursor(created_ms: int, order_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created_ms, order_id]).encode()).decode()


hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([-1, 0, 2**31, 2**63, 2**64, 10**40, -(10**40)]),
    st.just(_nested(40)),
    st.just(_nested(1000)),
    st.sampled_from([_cursor(10**20, "A"), _cursor(-(10**20), "A"), _cursor(0, "A"), "%%%"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.text(alphabet="𠜎😀\u202e\x00'\"$.{}[]", max_size=20),
    st.just({"$gt": ""}),
    st.just({"$ne": None}),
    st.just({"$where": "1"}),
    st.just([{"$in": []}]),
    st.text(min_size=300, max_size=400),
)
values = st.recursive(
    hostile_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


# Field names that are Mongo operators, paths or the store's own fields, beside random ones.
field_names = st.one_of(
    st.text(min_size=1, max_size=10),
    st.sampled_from(["_id", "$inc", "$set", "a.b", "ops", "status", "product_id", "openid"]),
)


def _objects_in(value, path=()):
    """Every path to an object inside a sample (a SKU in a product, an address in an order)."""
    if isinstance(value, dict):
        if path:
            yield path
        for key, item in value.items():
            yield from _objects_in(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _objects_in(item, (*path, index))


def _at(value, path):
    for part in path:
        value = value[part]
    return value


def _mutations(name: str) -> st.SearchStrategy[dict]:
    """The function's own sample with fields replaced, dropped or added (at the top or in an
    object inside it), or junk objects."""
    base = sample(name)
    if name.endswith(("_notify",)) or "Type" in base:
        base = {}
    keys = list(base) or ["order_id"]
    replaced = st.builds(lambda k, v: {**base, k: v}, st.sampled_from(keys), values)
    added = st.builds(lambda k, v: {**base, k: v}, field_names, values)
    dropped = st.builds(lambda k: {x: y for x, y in base.items() if x != k}, st.sampled_from(keys))
    junk = st.dictionaries(st.text(max_size=10), values, max_size=5)
    inner = list(_objects_in(base))
    if not inner:
        return st.one_of(replaced, added, dropped, junk)
    nested = st.builds(
        lambda p, k, v: _with(base, p, {**_at(base, p), k: v}),
        st.sampled_from(inner),
        field_names,
        values,
    )
    return st.one_of(replaced, added, dropped, junk, nested)


# What a refusal itself records by design: the risk rule's evidence, a failed sign-in.
REFUSAL_EVIDENCE = {"risk_events", "sign_in_attempts"}


def _state(db) -> dict:
    """Every business document (not counts: a refused call may not change one either)."""
    return {k: v for k, v in business_state(db).items() if k not in REFUSAL_EVIDENCE}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_hostile_input_gets_a_typed_answer_never_internal(seeded, name):
    context = {**cloudbase_context("o-fuzzer"), "RETAIL_DEV_OPERATOR": "fuzz:admin"}
    main = handler(name)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=_mutations(name))
    def check(data):
        before = _state(seeded)
        answer = main(data, context)
        assert answer["code"] in CODES and answer["code"] != "INTERNAL", (data, answer)
        if answer["code"] != "OK":
            assert _state(seeded) == before, (data, answer)
        json.dumps(answer)  # the answer itself always serialises

    check()


@pytest.mark.parametrize("name", ["payment_notify", "refund_notify", "delivery_notify"])
def test_webhooks_refuse_hostile_http_without_a_500(seeded, name):
    from .harness import http_event

    main = handler(name)

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        body=st.one_of(st.text(max_size=200), values.map(json.dumps)),
        headers=st.dictionaries(
            st.sampled_from(
                [
                    "Wechatpay-Serial",
                    "Wechatpay-Signature",
                    "Wechatpay-Timestamp",
                    "Wechatpay-Nonce",
                    "X-Delivery-Signature",
                    "Authorization",
                ]
            ),
            st.text(max_size=40),
            max_size=6,
        ),
    )
    def check(body, headers):
        before = _state(seeded)
        reply = main(http_event(body, headers), {})
        assert 400 <= reply["statusCode"] < 500, (body, headers, reply)
        assert _state(seeded) == before

    check()


def _int_paths(value, path=()):
    """Every path to a whole number in a sample (booleans are not numbers here)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _int_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _int_paths(item, (*path, index))


def _with(value, path, new):
    if not path:
        return new
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[path[0]] = _with(value[path[0]], path[1:], new)
    return copy


@pytest.mark.parametrize("name", FUNCTIONS)
def test_no_number_in_a_request_is_unbounded(seeded, name):
    """Money, quotas and counts beyond what a shop enters (or MongoDB holds) are refused."""
    context = {**cloudbase_context("o-fuzzer"), "RETAIL_DEV_OPERATOR": "fuzz:admin"}
    base = sample(name)
    if "Type" in base:
        base = json.loads(base.get("Message") or "{}")
        context = {}
    for path in _int_paths(base):
        for number in (10**40, 2**63):
            data = _with(base, path, number)
            event = {"Type": "Timer", "TriggerName": "t", "Message": json.dumps(data)}
            before = _state(seeded)
            answer = handler(name)(event if context == {} else data, context)
            assert answer["code"] == "INVALID_ARGUMENT", (path, number, answer)
            assert _state(seeded) == before
