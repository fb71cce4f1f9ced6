"""Stores near a point, nearest first."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from retail.common.database import database
from retail.common.models import OUT
from retail.store import Db

from .geo import bounding_box, haversine_m


class FindNearby(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_km: float = Field(5.0, gt=0, le=50)
    limit: int = Field(20, ge=1, le=50)


class StoreDistance(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="allow")

    store_id: str
    merchant_id: str
    name: str
    latitude: float
    longitude: float
    distance_m: int


class NearbyStores(BaseModel):
    model_config = OUT

    stores: list[StoreDistance]


def find_nearby_stores(cmd: FindNearby, *, db: Db | None = None) -> NearbyStores:
    db = db if db is not None else database()
    radius_m = cmd.radius_km * 1000
    min_lat, max_lat, min_lon, max_lon = bounding_box(cmd.latitude, cmd.longitude, radius_m)
    box = {
        "status": "OPEN",
        "latitude": {"$gte": min_lat, "$lte": max_lat},
        "longitude": {"$gte": min_lon, "$lte": max_lon},
    }
    found = []
    for doc in db.stores.find(box):
        distance = haversine_m(cmd.latitude, cmd.longitude, doc["latitude"], doc["longitude"])
        if distance <= radius_m:
            extra = {k: v for k, v in doc.items() if k not in {"_id", "status", "created_at"}}
            found.append(
                StoreDistance(**{**extra, "store_id": doc["_id"], "distance_m": round(distance)})
            )
    found.sort(key=lambda s: (s.distance_m, s.store_id))
    return NearbyStores(stores=found[: cmd.limit])
