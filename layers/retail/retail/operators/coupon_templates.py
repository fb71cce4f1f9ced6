"""Coupon templates saved by an admin, audited; the claimed count is never touched here. (The
template's fields are the catalogue file's, which coupons, a sibling of the catalogue, may not
import: the back office, above both, joins them.)"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict

from retail.catalog.catalog_file import CouponTemplateEntry
from retail.common.audit import save_audited
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.operator import Operator, Role
from retail.store import Db


class SaveCouponTemplate(CouponTemplateEntry):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    status: Literal["ACTIVE", "PAUSED"] = "ACTIVE"


def save_coupon_template(
    cmd: SaveCouponTemplate, *, operator: Operator, db: Db | None = None
) -> SaveCouponTemplate:
    """Create or change a template; its claimed count is never touched here."""
    operator.require(Role.ADMIN, what="save coupon templates")
    db = db if db is not None else database()
    save_audited(
        db,
        operator,
        "coupon_template_save",
        "coupon_templates",
        cmd.template_id,
        cmd.model_dump(),
        on_insert={"claimed": 0, "created_at": utcnow()},
    )
    return cmd
