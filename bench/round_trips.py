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


HOT = ("stock", "products", "product_sales")  # what every order of a flash sale writes
SALE_ORDERS = 48


def _count_trips(counts: Counter[str], hot: Counter[str]) -> None:
    """Count each call the code makes to a collection; not the engine's calls to itself
    (its find_one opens a find), which are one trip. `hot` counts the writes to each stock
    and product document, by its id."""
    from retail_dev.embedded import TRIPS, WRITES
    from retail_dev.embedded.collection import EmbeddedCollection

    depth = [0]
    for name in TRIPS:
        real = getattr(EmbeddedCollection, name, None)
        if real is None:  # not in the engine: the code never calls it
            continue

        def counted(self: Any, *args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            if not depth[0] and self.name != "sandbox_wechatpay":  # WeChat Pay's stand-in
                counts[f"{self.name}.{_name}"] += 1
                where = args[0] if args else kw.get("filter")
                if _name in WRITES and self.name in HOT and isinstance(where, dict):
                    hot[f"{self.name}:{where.get('_id')}"] += 1
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
    hot: Counter[str] = Counter()
    _count_trips(counts, hot)

    rows: list[tuple[str, int, list[str], str]] = []

    def counted(name: str) -> None:
        top = [f"{k} {v}" for k, v in counts.most_common(None if name in detail else 4)]
        hottest = "-" if not hot else "{1} on {0}".format(*hot.most_common(1)[0])
        rows.append((name, sum(counts.values()), top, hottest))
        counts.clear()
        hot.clear()

    def call(name: str, data: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = _handler(name)(data, _context(BUYER))
        assert answer["code"] == "OK", (name, answer)
        counted(name)
        return answer["data"]

    def deliver(url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
        """WeChat Pay's notification, handed to payment_notify in this process `times` times
        (no row: a flash sale's writes add up over its orders)."""
        event = {
            "httpMethod": "POST",
            "headers": {k.lower(): v for k, v in headers.items()},
            "body": body,
            "requestContext": {"sourceIp": "127.0.0.1"},
        }
        return [_handler("payment_notify")(event, {})["statusCode"] for _ in range(times)]

    def notify(url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
        """As `deliver`, counted as payment_notify's row."""
        answers = deliver(url, headers, body, times)
        counted("payment_notify")
        return answers

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
    paid = call("order_place", {**order, "idempotency_key": "round-trips-0002"})
    call("payment_prepay", {"order_id": paid["order_id"]})
    counts.clear()
    hot.clear()
    from retail_dev import wechatpay_sandbox

    assert wechatpay_sandbox.pay(paid["out_trade_no"], send=notify) == [200]

    print(f"{'function':18s} {'trips':>5s} {'at 1 ms':>8s}  {'hottest document':28s}  most made")
    for name, trips, top, hottest in rows:
        print(f"{name:18s} {trips:5d} {trips:6d} ms  {hottest:28s}  {', '.join(top)}")

    print(f"\nA flash sale: {SALE_ORDERS} buyers each place and pay one unit of p-walnut-1")
    print(f"{'stock buckets':14s} {'writes per order on the hottest document':44s} document")
    from retail.inventory import split_level

    for buckets in (1, 4, 8):
        split_level(db, "p-walnut-1", "central", buckets)
        counts.clear()
        hot.clear()
        for n in range(SALE_ORDERS):
            buyer = f"o-sale-{buckets}-{n}"
            sale = {**order, "items": [{"sku_id": "p-walnut-1", "qty": 1}]}
            for name, data in (
                ("consent_accept", {"version": "2026-01", "share_contact": True}),
                ("order_place", {**sale, "idempotency_key": f"sale-{buckets}-{n:04d}"}),
            ):
                answer = _handler(name)(data, _context(buyer))
                assert answer["code"] == "OK", (name, answer)
            placed_id = answer["data"]["order_id"]
            assert (
                _handler("payment_prepay")({"order_id": placed_id}, _context(buyer))["code"] == "OK"
            )
            assert wechatpay_sandbox.pay(answer["data"]["out_trade_no"], send=deliver) == [200]
        document, writes = hot.most_common(1)[0]
        print(f"{buckets:<14d} {writes / SALE_ORDERS:<44.2f} {document}")


if __name__ == "__main__":
    main()
