"""Store round trips per user function: each call to a collection (a read, a write, a cursor
opened) is one trip to MongoDB, whatever the embedded engine makes of it. A buyer's session
is played through the functions on the demo shop, and each function's trips are counted and
priced at 1 ms each (a client and a replica set in the same zone; a majority write costs more).

    .venv/bin/python bench/round_trips.py [--detail order_place ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "retail"), str(ROOT / "devkit")]

BUYER = "o-round-trips"
ADDRESS = {
    "userName": "张三",
    "telNumber": "13800000000",
    "provinceName": "上海市",
    "cityName": "上海市",
    "countyName": "浦东新区",
    "detailInfo": "世纪大道 1 号",
}


def _count_trips(counts: Counter[str]) -> None:
    """Count each call the code makes to a collection; not the engine's calls to itself
    (its find_one opens a find), which are one trip."""
    from retail_dev.embedded import TRIPS
    from retail_dev.embedded.collection import EmbeddedCollection

    depth = [0]
    for name in TRIPS:
        real = getattr(EmbeddedCollection, name, None)
        if real is None:  # not in the engine: the code never calls it
            continue

        def counted(self: Any, *args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            if not depth[0] and self.name != "sandbox_wechatpay":  # WeChat Pay's stand-in
                counts[f"{self.name}.{_name}"] += 1
            depth[0] += 1
            try:
                return _real(self, *args, **kw)
            finally:
                depth[0] -= 1

        setattr(EmbeddedCollection, name, counted)


def _handler(name: str) -> Any:
    path = ROOT / "functions" / name / "index.py"
    spec = importlib.util.spec_from_file_location(f"fn_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main_handler


def _context(openid: str) -> dict[str, Any]:
    env = {
        "WX_CONTEXT_KEYS": "WX_OPENID,WX_APPID,WX_CLIENTIP",
        "WX_OPENID": openid,
        "WX_APPID": "wx-bench",
        "WX_CLIENTIP": "10.0.0.9",
        "TCB_CONTEXT_KEYS": "TCB_ENV,TRIGGER_SRC,TCB_SOURCE",
        "TCB_ENV": "bench",
        "TRIGGER_SRC": "tcb",
        "TCB_SOURCE": "wx_client",
    }
    return {"environment": json.dumps(env), "request_id": "bench", "time_limit_in_ms": 10000}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--detail",
        nargs="+",
        default=[],
        metavar="FUNCTION",
        help="list every collection call of these functions",
    )
    detail = set(parser.parse_args().detail)
    scratch = tempfile.mkdtemp(prefix="round-trips-")
    os.environ.update(
        RETAIL_ENV="dev",
        RETAIL_DB_URI=f"sqlite:///{scratch}/shop.db",
        WECHATPAY_SANDBOX_DIR=f"{scratch}/wechatpay",
        RETAIL_LOG_LEVEL="ERROR",
    )
    from retail.catalog import load_catalog
    from retail.common.database import database
    from retail.store.indexes import apply_indexes

    db = database()
    infra = ROOT / "infra"
    apply_indexes(db, json.loads((infra / "indexes.json").read_text(encoding="utf-8")))
    load_catalog(json.loads((infra / "seed" / "demo.json").read_text(encoding="utf-8")), db)
    counts: Counter[str] = Counter()
    _count_trips(counts)

    rows: list[tuple[str, int, list[str]]] = []

    def call(name: str, data: dict[str, Any]) -> dict[str, Any]:
        counts.clear()
        answer: dict[str, Any] = _handler(name)(data, _context(BUYER))
        assert answer["code"] == "OK", (name, answer)
        top = [f"{k} {v}" for k, v in counts.most_common(None if name in detail else 4)]
        rows.append((name, sum(counts.values()), top))
        return answer["data"]

    call("user_login", {})
    call("consent_accept", {"version": "2026-01", "share_contact": True})
    call("catalog_browse", {})
    call("catalog_product", {"product_id": "p-eggs"})
    call("cart_update", {"sku_id": "p-eggs-1", "qty": 2})
    call("cart_list", {})
    order = {"items": [{"sku_id": "p-eggs-1", "qty": 2}], "delivery": "express", "address": ADDRESS}
    call("order_preview", order)
    placed = call("order_place", {**order, "idempotency_key": "round-trips-0001"})
    call("payment_prepay", {"order_id": placed["order_id"]})
    call("order_get", {"order_id": placed["order_id"]})
    call("order_list", {})
    call("order_cancel", {"order_id": placed["order_id"]})

    print(f"{'function':18s} {'trips':>5s} {'at 1 ms':>8s}  most made")
    for name, trips, top in rows:
        print(f"{name:18s} {trips:5d} {trips:6d} ms  {', '.join(top)}")


if __name__ == "__main__":
    main()
