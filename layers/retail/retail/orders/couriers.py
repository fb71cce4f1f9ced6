"""The couriers an express parcel may name: WeChat's delivery-company list for shipping
information (get_delivery_list), since WeChat takes a parcel's courier only as its code there.

The list is kept in the store for a day (`platform_facts`), so a shipment costs no WeChat call
and still ships when WeChat is briefly unreachable; a shop that has never fetched it needs
WeChat once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from retail.adapters.wechat import WeChatApi, wechat_api
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import InvalidArgument, UpstreamUnavailable
from retail.common.models import OUT, STRICT
from retail.store import Db

KEPT_FOR = timedelta(days=1)
_KEY = {"_id": "wechat_couriers"}


class ListCouriers(BaseModel):
    model_config = STRICT


class Courier(BaseModel):
    model_config = OUT
    code: str
    name: str


class CourierList(BaseModel):
    model_config = OUT
    couriers: list[Courier]


def couriers(
    db: Db, *, api: WeChatApi | None = None, now: datetime | None = None
) -> dict[str, str]:
    """code -> name, from the store if fetched within a day, else from WeChat (a stale list
    when WeChat does not answer). Raises UpstreamUnavailable with no list at all."""
    now = now or utcnow()
    kept = db.platform_facts.find_one(_KEY)
    if kept is not None and kept["fetched_at"] > now - KEPT_FOR:
        return dict(kept["couriers"])
    try:
        fresh = (api or wechat_api()).delivery_list()
    except UpstreamUnavailable:
        if kept is None:
            raise
        return dict(kept["couriers"])
    pairs = sorted(fresh.items())  # a list: a code may hold characters a field name may not
    db.platform_facts.update_one(
        _KEY, {"$set": {"couriers": pairs, "fetched_at": now}}, upsert=True
    )
    return fresh


def courier_name(db: Db, code: str) -> str:
    """The name of a courier WeChat lists; InvalidArgument for any other code."""
    name = couriers(db).get(code)
    if name is None:
        raise InvalidArgument(
            f"carrier {code!r} is not in WeChat's delivery-company list: choose one from "
            "courier_list (SF, ZTO, YTO, YD, STO, ...)"
        )
    return name


def list_couriers(cmd: ListCouriers, *, db: Db | None = None) -> CourierList:
    """What the console offers when shipping: WeChat's couriers by code."""
    db = db if db is not None else database()
    found = couriers(db)
    return CourierList(couriers=[Courier(code=c, name=n) for c, n in sorted(found.items())])
