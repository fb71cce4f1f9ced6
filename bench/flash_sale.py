"""Orders end to end through the dev gateway (4 workers, embedded store).

1. Flash sale: 200 buyers from 8 client processes race for one SKU with 50 units.
2. Throughput: 32 concurrent clients (8 processes x 4 threads, keep-alive) place one-line
   orders with ample stock for --seconds; the same clients then call health_check, a
   trivial function, through the same gateway: the plumbing's ceiling.
Prints orders/s, p50/p95/p99, successes, OUT_OF_STOCK, and the stock audit.

    .venv/bin/python bench/flash_sale.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADDRESS = {
    "userName": "王五",
    "telNumber": "13700003333",
    "provinceName": "云南省",
    "cityName": "昆明市",
    "countyName": "盘龙区",
    "detailInfo": "北京路1号",
}
SALE_SKU, BULK_SKUS = "p-walnut-1", ["p-tissue-1", "p-rice-1", "p-oil-1", "p-noodles-1"]


def _connect(port: int, network: int) -> http.client.HTTPConnection:
    """A connection from loopback address 127.x.y.z number `network`: the gateway takes the
    client IP from the socket, as SCF does, so each buyer's network is its own address."""
    source = f"127.{network // 62500 % 250 + 1}.{network // 250 % 250}.{network % 250 + 1}"
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))


def _call(
    conn: http.client.HTTPConnection, path: str, body: dict, openid: str
) -> tuple[int, str, float]:
    started = time.perf_counter()
    headers = {"X-Dev-Openid": openid, "Content-Type": "application/json"}
    conn.request("POST", path, json.dumps(body), headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    return response.status, answer["code"], (time.perf_counter() - started) * 1000


def _address(n: int) -> dict:
    """Buyer n's own address and phone: the risk rules hold orders from shared ones."""
    return {**ADDRESS, "detailInfo": f"北京路{n}号", "telNumber": f"137{n:08d}"}


def _sale_client(port: int, first: int, count: int, results) -> None:
    out = []
    for n in range(first, first + count):
        body = {
            "items": [{"sku_id": SALE_SKU, "qty": 1}],
            "address": _address(n),
            "idempotency_key": f"sale-{n:06d}",
        }
        conn = _connect(port, n)  # 200 phones, each on its own network
        out.append(_call(conn, "/fn/order_place", body, f"o-sale-{n}"))
        conn.close()
    results.put(out)


def _load_client(
    port: int, client: int, threads: int, path: str, seconds: float, start, results
) -> None:
    samples: list[tuple[int, str, float]] = []
    lock = threading.Lock()

    def worker(thread: int) -> None:
        network = 10_000 + (client * 64 + thread) * 1000
        conn = _connect(port, network)
        mine, n = [], 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            n += 1
            if n % 100 == 0:  # the next hundred buyers come from another network
                conn.close()
                conn = _connect(port, network + n // 100)
            key = f"load-{client}-{thread}-{n}"
            body = (
                {
                    "items": [{"sku_id": BULK_SKUS[n % len(BULK_SKUS)], "qty": 1}],
                    "address": _address(client * 1_000_000 + thread * 10_000 + n),
                    "idempotency_key": key,
                }
                if path == "/fn/order_place"
                else {}
            )
            # every order is a different buyer, a hundred of them per network
            mine.append(_call(conn, path, body, f"o-load-{client}-{thread}-{n}"))
        with lock:
            samples.extend(mine)

    start.wait()
    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results.put(samples)


def _run_load(port: int, path: str, seconds: float, processes: int = 8, threads: int = 4):
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_load_client, args=(port, c, threads, path, seconds, start, results))
        for c in range(processes)
    ]
    for p in procs:
        p.start()
    time.sleep(1.0)
    began = time.perf_counter()
    start.set()
    samples = [s for _ in procs for s in results.get()]
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()
    return samples, elapsed


def _warm_up(port: int) -> None:
    """Let every worker import its functions first: cold starts are bench/cold_start.py's."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = {"items": [{"sku_id": BULK_SKUS[0], "qty": 1}], "address": ADDRESS}
    for _ in range(40):
        _call(conn, "/fn/order_preview", body, "o-warm")
        _call(conn, "/fn/health_check", {}, "o-warm")
        _call(conn, "/fn/catalog_product", {"product_id": "p-walnut"}, "o-warm")


def _known_buyers(db) -> None:
    """Every bench buyer opened the app before the sale: it is a user (as user_login records
    one, a day ago) and accepted the privacy policy at first launch (as retail.consent
    records it), so the timed calls are orders only. A buyer whose very first call is an
    order costs one more write (users.visitors)."""
    from datetime import timedelta

    from retail.common.clock import utcnow

    now, version = utcnow(), "2026-01"
    buyers = [f"o-sale-{n}" for n in range(200)] + ["o-warm"]
    buyers += [f"o-load-{c}-{t}-{n}" for c in range(8) for t in range(4) for n in range(1, 1500)]
    seen = now - timedelta(days=1)
    db.users.insert_many(
        [
            {"_id": b, "first_seen_at": seen, "last_seen_at": seen, "entry_scene": 1001}
            | {"points": 0, "level": 1, "growth": 0, "login_count": 1}
            for b in buyers
        ]
    )
    db.consents.insert_many(
        [{"_id": b, "version": version, "share_contact": True, "accepted_at": now} for b in buyers]
    )


def _percentiles(latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100)
    return f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT / "layers" / "retail"), str(ROOT / "devkit")]
    sys.path.insert(0, str(ROOT))
    from retail.inventory import audit_stock
    from retail.store import connect
    from scripts.gateway.launcher import start_gateway, stop

    with tempfile.TemporaryDirectory() as tmp:
        gateway = start_gateway(Path(tmp), "dev", workers=4)
        port = int(gateway.url.rsplit(":", 1)[1])
        db = connect(gateway.db_uri)
        db.stock.update_one(
            {"_id": f"{SALE_SKU}@central"}, {"$set": {"available": 50, "received": 50}}
        )
        for sku in BULK_SKUS:
            db.stock.update_one(
                {"_id": f"{sku}@central"}, {"$set": {"available": 1_000_000, "received": 1_000_000}}
            )
        _known_buyers(db)
        try:
            _warm_up(port)
            ctx = multiprocessing.get_context("spawn")
            results = ctx.Queue()
            clients = [
                ctx.Process(target=_sale_client, args=(port, c * 25, 25, results)) for c in range(8)
            ]
            for c in clients:
                c.start()
            sale = [s for _ in clients for s in results.get()]
            for c in clients:
                c.join()
            ok = sum(code == "OK" for _, code, _ in sale)
            sold_out = sum(code == "OUT_OF_STOCK" for _, code, _ in sale)
            level = db.stock.find_one({"_id": f"{SALE_SKU}@central"})
            print(
                f"flash sale: 200 buyers, 8 processes, stock 50 -> {ok} orders, {sold_out} "
                f"OUT_OF_STOCK, other {200 - ok - sold_out}; stock left {level['available']}, "
                f"oversold: {'NO' if level['available'] >= 0 and ok <= 50 else 'YES'}; "
                f"{_percentiles([ms for *_, ms in sale])}"
            )

            orders, elapsed = _run_load(port, "/fn/order_place", args.seconds)
            good = [ms for _, code, ms in orders if code == "OK"]
            print(
                f"order_place, 32 clients, {args.seconds:g}s: {len(good) / elapsed:.0f} orders/s, "
                f"{len(good)} OK of {len(orders)}; {_percentiles(good)}"
            )
            pings, ping_elapsed = _run_load(port, "/fn/health_check", args.seconds)
            ceiling = len(pings) / ping_elapsed
            print(
                f"health_check (trivial), 32 clients: {ceiling:.0f} calls/s; "
                f"{_percentiles([ms for *_, ms in pings])}"
            )
            print(f"order placement / trivial function: {len(good) / elapsed / ceiling:.2f}x")
            problems = audit_stock(db)
            print(f"stock audit: {'clean' if not problems else problems[:5]}")
        finally:
            stop(gateway)


if __name__ == "__main__":
    main()
