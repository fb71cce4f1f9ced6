"""A stock level split into buckets: a flash sale past one document's write rate.

Every order writes its SKU's stock document when placed and when paid; one MongoDB document
takes a few thousand updates a second (issue 32 §5). A level (a SKU at a location) can be
split into K documents: its own (`sku@location`, bucket 0) and `sku@location#1` ... `#K-1`.
An order line takes its units from one bucket, the one a hash of the order id names or the
next that has enough, and records it (`bucket` on the line) so that every later move (the
sale, a release, a restock) goes to the same document. Availability and the audit add the
buckets up; how many a level has is on its own document (`buckets`, and `bucket_docs`: how
many documents exist, which never shrinks, as a bucket keeps what its orders hold) and on
the SKU (`stock_split.buckets.<location>`), which order_place reads anyway.

Units move between buckets only by transfers, each exactly once: written first
(`stock_transfers`), then taken from one document and given to the other, each move leaving a
marker `ops.<transfer>` as an order's moves do, then recorded, the markers cleared, settled.
`finish_transfers` (the stock_rebalance timer) finishes a transfer that stopped half way once
nothing can still be running it (TRANSFER_LIMIT). Every document balances on its own:
`available + reserved + sold == received - adjusted + moved`, `moved` being the units
transferred in less those transferred out; a level's `moved` add up to 0 outside a transfer.
"""

from __future__ import annotations

import secrets
import zlib
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from retail.common.clock import utcnow
from retail.common.faults import fault_point
from retail.common.logs import log
from retail.store import Db

from .levels import level_id
from .moves import StockMove, apply_move

MAX_BUCKETS = 32
TRANSFER_LIMIT = timedelta(minutes=2)  # twice stock_rebalance's limit: clocks differ
SOLD_OUT_HOLD = timedelta(seconds=5)  # how long order_place refuses a sold-out level unread
MOVING, MOVED, VOIDED, SETTLED = "MOVING", "MOVED", "VOIDED", "SETTLED"


def bucket_count(sku: dict[str, Any], location: str) -> int:
    """How many buckets the SKU's level at `location` takes orders from (1: not split)."""
    return int(((sku.get("stock_split") or {}).get("buckets") or {}).get(location, 1))


def sold_out(sku: dict[str, Any], location: str, now: datetime) -> bool:
    """Whether the level was found empty in every bucket in the last SOLD_OUT_HOLD: an
    order for it is refused before anything is written (a flash sale's losers write no
    order). Units that come back meanwhile are sold again once the hold has passed."""
    until = ((sku.get("stock_split") or {}).get("sold_out") or {}).get(location)
    return until is not None and until > now


def bucket_levels(sku_id: str, location: str, buckets: int) -> list[str]:
    return [level_id(sku_id, location, b) for b in range(max(buckets, 1))]


def reserve(
    db: Db, order_id: str, sku_id: str, location: str, qty: int, buckets: int
) -> int | None:
    """Reserve `qty` units for the order in one bucket: the one the order id hashes to, or
    the next with enough. Returns the bucket, or None; a single unit found nowhere marks
    the level sold out. A line is served from one bucket: split a level so that each
    bucket's share is far above what one order buys (a flash sale's purchase limit)."""
    count = max(buckets, 1)
    first = zlib.crc32(order_id.encode()) % count  # the same in every process, unlike hash()
    for step in range(count):
        bucket = (first + step) % count
        if apply_move(db, order_id, level_id(sku_id, location, bucket), qty, StockMove.RESERVE):
            return bucket
    if qty == 1:
        db.skus.update_one(
            {"_id": sku_id},
            {"$set": {f"stock_split.sold_out.{location}": utcnow() + SOLD_OUT_HOLD}},
        )
    return None


def split_level(db: Db, sku_id: str, location: str, buckets: int) -> dict[str, int]:
    """Take orders for the level from `buckets` documents from now on (1 joins them again),
    and spread what is available over them. Returns the available units per bucket."""
    home = db.stock.find_one({"_id": level_id(sku_id, location)}, {"bucket_docs": 1}) or {}
    made = max(int(home.get("bucket_docs", 1)), buckets)
    for bucket in range(1, made):
        db.stock.update_one(
            {"_id": level_id(sku_id, location, bucket)},
            {
                "$setOnInsert": {"sku_id": sku_id, "location": location, "bucket": bucket}
                | dict.fromkeys(
                    ("available", "reserved", "sold", "received", "adjusted", "moved"), 0
                )
            },
            upsert=True,
        )
    db.stock.update_one(  # $max: a split racing this one never loses the buckets it made
        {"_id": level_id(sku_id, location)},
        {"$set": {"buckets": buckets}, "$max": {"bucket_docs": made}},
    )
    return rebalance(db, sku_id, location, always=True)


def _mirror(db: Db, sku_id: str, location: str, buckets: int) -> None:
    """The SKU says how many buckets take orders, as the level's own document does (order_place
    reads the SKU); written only where it differs."""
    key = f"stock_split.buckets.{location}"
    if buckets > 1:
        db.skus.update_one({"_id": sku_id, key: {"$ne": buckets}}, {"$set": {key: buckets}})
    else:
        db.skus.update_one({"_id": sku_id, key: {"$exists": True}}, {"$unset": {key: ""}})


def rebalance(db: Db, sku_id: str, location: str, *, always: bool = False) -> dict[str, int]:
    """Even out what the level's buckets have available when one of those taking orders
    has less than half its share (or `always`), and empty the buckets no longer taking
    orders. Returns the available units per bucket afterwards."""
    home = db.stock.find_one({"_id": level_id(sku_id, location)}, {"buckets": 1, "bucket_docs": 1})
    if home is None:
        return {}
    active, made = int(home.get("buckets", 1)), int(home.get("bucket_docs", 1))
    _mirror(db, sku_id, location, active)  # a split that died before the SKU heard of it
    levels = bucket_levels(sku_id, location, made)
    docs = {
        d["_id"]: d["available"] for d in db.stock.find({"_id": {"$in": levels}}, {"available": 1})
    }
    have = [docs.get(level, 0) for level in levels]
    total = sum(have)
    share = [
        total // active + (1 if b < total % active else 0) if b < active else 0 for b in range(made)
    ]
    uneven = any(have[b] < share[b] // 2 for b in range(active)) or any(have[active:])
    if not (always or uneven):
        return dict(zip(levels, have, strict=True))
    givers = [[b, have[b] - share[b]] for b in range(made) if have[b] > share[b]]
    takers = [[b, share[b] - have[b]] for b in range(made) if have[b] < share[b]]
    while givers and takers:
        giver, taker = givers[-1], takers[-1]
        qty = min(giver[1], taker[1])
        if transfer(db, levels[giver[0]], levels[taker[0]], qty):
            have[giver[0]] -= qty
            have[taker[0]] += qty
        giver[1] -= qty
        taker[1] -= qty
        givers = [g for g in givers if g[1] > 0]
        takers = [t for t in takers if t[1] > 0]
    return dict(zip(levels, have, strict=True))


def transfer(db: Db, source: str, target: str, qty: int) -> bool:
    """Move `qty` available units from one stock document to another, exactly once; False
    if `source` no longer has them (orders took them meanwhile)."""
    now = utcnow()
    transfer_id = f"t-{now:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
    doc = {"_id": transfer_id, "source": source, "target": target, "qty": qty}
    db.stock_transfers.insert_one(
        {**doc, "status": MOVING, "unsettled": True, "created_at": now, "updated_at": now}
    )
    marker = f"ops.{transfer_id}"
    taken = db.stock.find_one_and_update(  # refused too once the timer voided it (VOID)
        {"_id": source, "available": {"$gte": qty}, marker: None},
        {"$inc": {"available": -qty, "moved": -qty}, "$set": {marker: "OUT"}},
        projection={"_id": 1},
    )
    if taken is None:
        _settle(db, transfer_id, MOVING, abandoned=True)
        return False
    fault_point("stock_transfer:after_take")
    still_mine = db.stock_transfers.find_one_and_update(  # not taken for dead meanwhile
        {"_id": transfer_id, "status": MOVING, "updated_at": now},
        {"$set": {"updated_at": utcnow()}},
    )
    if still_mine is not None:
        _finish(db, doc, MOVING)
    return True  # else the timer saw the take: it gives


def finish_transfers(db: Db, limit: int = 100) -> int:
    """Finish the transfers that stopped half way and that nothing can still be running;
    returns how many were finished. Each is claimed first (a conditional update of its
    `updated_at`), so two timers never finish one transfer at once, and the process that
    made it, should it still run, sees the claim and leaves the rest to the timer. One never
    taken is voided before it is given up: a VOID marker on the source refuses a take that
    comes late, until the next run removes it and settles the transfer."""
    due = {"unsettled": True, "updated_at": {"$lt": utcnow() - TRANSFER_LIMIT}}
    finished = 0
    for seen in db.stock_transfers.find(due, limit=limit):
        doc = db.stock_transfers.find_one_and_update(
            {"_id": seen["_id"], "unsettled": True, "updated_at": seen["updated_at"]},
            {"$set": {"updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:  # another run took it
            continue
        _finish_stopped(db, doc)
        log("stock_transfer_finished", transfer_id=doc["_id"], status=doc["status"])
        finished += 1
    return finished


def _finish_stopped(db: Db, doc: dict[str, Any]) -> None:
    marker = f"ops.{doc['_id']}"
    if doc["status"] == VOIDED:  # no take can come any more: the void goes, it settles
        db.stock.update_one({"_id": doc["source"], marker: "VOID"}, {"$unset": {marker: ""}})
        _settle(db, doc["_id"], VOIDED, abandoned=True)
        return
    if doc["status"] == MOVING:
        db.stock.update_one({"_id": doc["source"], marker: None}, {"$set": {marker: "VOID"}})
        source = db.stock.find_one({"_id": doc["source"]}, {marker: 1}) or {}
        if (source.get("ops") or {}).get(doc["_id"]) == "VOID":  # never taken: nothing moved
            db.stock_transfers.update_one(
                {"_id": doc["_id"], "status": MOVING},
                {"$set": {"status": VOIDED, "updated_at": utcnow()}},
            )
            return
    _finish(db, doc, doc["status"])


def _finish(db: Db, doc: dict[str, Any], status: str) -> None:
    """From a take onwards: the units given (once), the transfer recorded, markers cleared."""
    marker = f"ops.{doc['_id']}"
    if status == MOVING:
        db.stock.update_one(
            {"_id": doc["target"], marker: None},
            {"$inc": {"available": doc["qty"], "moved": doc["qty"]}, "$set": {marker: "IN"}},
        )
        fault_point("stock_transfer:after_give")
        db.stock_transfers.update_one(
            {"_id": doc["_id"], "status": MOVING}, {"$set": {"status": MOVED}}
        )
    db.stock.update_one({"_id": doc["source"], marker: "OUT"}, {"$unset": {marker: ""}})
    db.stock.update_one({"_id": doc["target"], marker: "IN"}, {"$unset": {marker: ""}})
    _settle(db, doc["_id"], MOVED)


def _settle(db: Db, transfer_id: str, status: str, *, abandoned: bool = False) -> None:
    db.stock_transfers.update_one(
        {"_id": transfer_id, "status": status},
        {
            "$set": {"status": SETTLED, "abandoned": abandoned, "settled_at": utcnow()},
            "$unset": {"unsettled": ""},
        },
    )
