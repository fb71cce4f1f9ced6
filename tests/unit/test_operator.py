"""The operator's role, parsed once: the pure rules, without a store."""

from __future__ import annotations

import pytest

from retail.common.errors import Forbidden
from retail.common.operator import Operator, Role, is_role


@pytest.mark.parametrize(
    ("role", "kind", "merchant_id"),
    [
        ("admin", Role.ADMIN, None),
        ("service", Role.SERVICE, None),
        ("merchant:m-huaxia", Role.MERCHANT, "m-huaxia"),
        ("merchant:m:with:colons", Role.MERCHANT, "m:with:colons"),
    ],
)
def test_a_role_is_read_once_into_its_kind_and_merchant(role, kind, merchant_id):
    operator = Operator("op-1", role)
    assert (operator.kind, operator.merchant_id, operator.role) == (kind, merchant_id, role)


@pytest.mark.parametrize(
    "role",
    ["", "root", "merchant", "merchant:", "admin:x", "Admin", "merchant:*", "merchant:a b"],
)
def test_a_role_no_account_may_hold_is_refused(role):
    assert not is_role(role)  # "merchant:*" would read every merchant's data (scope ALL)
    if role.partition(":")[0] not in ("admin", "service", "merchant"):
        with pytest.raises(ValueError):
            Operator("op-1", role)


def test_require_names_the_role_that_may_not():
    merchant = Operator("op-2", "merchant:m-self")
    merchant.require(Role.MERCHANT, Role.ADMIN)
    with pytest.raises(Forbidden, match="'merchant:m-self' may not review refunds"):
        merchant.require(Role.ADMIN, Role.SERVICE, what="review refunds")
    assert merchant.is_one_of(Role.MERCHANT) and not merchant.is_one_of(Role.ADMIN)
