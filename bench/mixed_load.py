"""Mixed traffic through the dev gateway while the timers run, and p99 per user function.

Client processes (threads each, keep-alive) play whole shopping sessions, each as a new
buyer on their own network: log in, browse, open a product, accept the privacy policy, fill
the cart, preview, place an order (one SKU is scarce, so some sell out), prepay, then pay
through the WeChat Pay sandbox (3 in 5), cancel (1 in 5) or walk away, claim the new-user
coupon, list orders, open the profile; on the way it gets its experiment arms, the banner
ads, the product's reviews and recommendations, and tracks the view. One more process runs
every timer in turn (the analytics rollup too). Bounded by time and by sessions per thread;
loopback only.

Prints, per user function: calls, answers by code, p50 / p95 / p99, and flags any p99 above
300 ms (the "3-second rule" budget we keep locally for a function's share of a page).

    .venv/bin/python bench/mixed_load.py [--seconds 20] [--clients 4] [--threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
SCARCE_SKU, SCARCE_STOCK = "p-walnut-1", 30
SKUS = ["p-eggs-1", "p-rice-1", "p-tissue-1", SCARCE_SKU]
PRODUCTS = ["p-eggs", "p-rice", "p-mango", "p-walnut"]
TIMERS = [
    "order_expire",
    "order_repair",
    "payment_reconcile",
    "group_expire",
    "order_autoconfirm",
    "housekeeping_run",
    "analytics_rollup",
]
SLOW_MS = 300.0
Sample = tuple[str, int, str, float]  # (function, HTTP status, answer code, milliseconds)


class Client:
    """One keep-alive connection to the gateway that records every call it makes."""

    def __init__(self, url: str) -> None:
        parts = urlparse(url)
        self.host, self.port = str(parts.hostname), int(parts.port or 80)
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.samples: list[Sample] = []

    def network(self, n: int) -> None:
        """Reconnect from loopback address number `n`: the gateway takes the client IP from
        the socket, as SCF does, so each session's network is its own address."""
        self.conn.close()
        source = (f"127.{n // 62500 % 250 + 1}.{n // 250 % 250}.{n % 250 + 1}", 0)
        self.conn = http.client.HTTPConnection(
            self.host, self.port, timeout=60, source_address=source
        )

    def post(self, path: str, body: dict, headers: dict[str, str]) -> dict:
        started = time.perf_counter()
        self.conn.request(
            "POST", path, json.dumps(body), {"Content-Type": "application/json", **headers}
        )
        response = self.conn.getresponse()
        answer = json.loads(response.read() or b"{}")
        elapsed = (time.perf_counter() - started) * 1000
        route, name = path.strip("/").split("/")[:2]
        label = {"fn": name, "timer": f"timer:{name}"}.get(route, f"sandbox:{name}")
        self.samples.append((label, response.status, answer.get("code", "?"), elapsed))
        return answer


def shopping_session(client: Client, buyer: str, n: int) -> None:
    """One buyer's visit, as the mini-program would make it."""
    client.network(n)
    who = {"X-Dev-Openid": buyer}
    fn = lambda name, body: client.post(f"/fn/{name}", body, who)  # noqa: E731
    sku = SKUS[n % len(SKUS)]
    address = {
        "userName": "顾客",
        "telNumber": f"139{n:08d}",
        "provinceName": "云南省",
        "cityName": "昆明市",
        "countyName": "五华区",
        "detailInfo": f"青年路{n}号",
    }
    items = [{"sku_id": sku, "qty": 1}]
    product = PRODUCTS[n % len(PRODUCTS)]
    fn("user_login", {"scene": 1007 if n % 3 else 1001})
    fn("experiment_assign", {})
    fn("ad_list", {"position": "home_banner"})
    fn("catalog_browse", {"page": 1})
    fn("catalog_product", {"product_id": product})
    fn("review_list", {"product_id": product})
    fn("recommend", {"product_id": product})
    fn("track", {"events": [{"type": "product_view", "product_id": product, "scene": 1007}]})
    fn("consent_accept", {"version": "2026-01", "share_contact": True})
    fn("cart_update", {"sku_id": sku, "qty": 1})
    fn("order_preview", {"items": items, "address": address})
    placed = fn(
        "order_place",
        {"items": items, "address": address, "idempotency_key": f"mix-{buyer}"},
    )
    if placed.get("code") == "OK":
        order = placed["data"]
        fn("payment_prepay", {"order_id": order["order_id"]})
        if n % 5 < 3:
            client.post(f"/dev/pay/{order['out_trade_no']}/succeed", {}, {})
        elif n % 5 == 3:
            fn("order_cancel", {"order_id": order["order_id"]})
    fn("coupon_claim", {"template_id": "c-new-user"})
    fn("order_list", {})
    fn("user_me", {})


def _shopper(
    url: str, client_no: int, threads: int, seconds: float, sessions: int, start, stop, out
):
    import threading

    collected: list[Sample] = []
    lock = threading.Lock()

    def run(thread: int) -> None:
        client = Client(url)
        deadline = time.perf_counter() + seconds
        for i in range(sessions):
            if time.perf_counter() > deadline or stop.is_set():
                break
            n = (client_no * threads + thread) * 100_000 + i
            shopping_session(client, f"o-mix-{n}", n)
        with lock:
            collected.extend(client.samples)

    start.wait()
    pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(collected)


def _timers(url: str, seconds: float, start, stop, out) -> None:
    client = Client(url)
    start.wait()
    deadline = time.perf_counter() + seconds
    while True:  # every timer runs at least once
        for name in TIMERS:
            client.post(f"/timer/{name}", {}, {})
        if time.perf_counter() > deadline or stop.is_set():
            break
        time.sleep(0.2)
    out.put(client.samples)


def run_mixed_load(
    url: str,
    seconds: float,
    clients: int = 4,
    threads: int = 4,
    sessions: int = 10_000,
    until: Callable[[], bool] | None = None,
) -> list[Sample]:
    """Every call made by `clients` x `threads` shoppers and the timer process.

    Without `until` the traffic runs for `seconds` (the benchmark). With it, the traffic runs
    until `until()` is true, polled in this process, and `seconds` is only a limit that fails
    loudly (TimeoutError): how much traffic that takes never depends on the machine's speed."""
    ctx = multiprocessing.get_context("spawn")
    start, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_shopper, args=(url, c, threads, seconds, sessions, start, stop, out))
        for c in range(clients)
    ]
    procs.append(ctx.Process(target=_timers, args=(url, seconds, start, stop, out)))
    for p in procs:
        p.start()
    time.sleep(1.0)
    start.set()
    if until is None:
        time.sleep(seconds)  # the benchmark: the shoppers stop at their own deadline
        reached = True
    else:
        reached = _wait_for(until, seconds)
    stop.set()
    samples = [s for _ in procs for s in out.get(timeout=seconds + 120)]
    for p in procs:
        p.join(30)
    if not reached:
        raise TimeoutError(f"the traffic did not reach its goal within {seconds:g} s")
    return samples


def _wait_for(until: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if until():
            return True
        time.sleep(0.2)
    return until()


def report(samples: list[Sample]) -> list[str]:
    """One line per function: calls, codes, percentiles, and SLOW past the budget."""
    by_function: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_function[sample[0]].append(sample)
    lines = []
    for name in sorted(by_function):
        calls = by_function[name]
        ms = sorted(s[3] for s in calls)
        q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [ms[0]] * 99
        codes = defaultdict(int)
        for s in calls:
            codes[s[2]] += 1
        user_function = ":" not in name
        flag = "  SLOW (p99 > 300 ms)" if q[98] > SLOW_MS and user_function else ""
        lines.append(
            f"{name:<24} {len(calls):>6} calls  p50 {q[49]:6.1f}  p95 {q[94]:6.1f}  "
            f"p99 {q[98]:6.1f} ms  {dict(sorted(codes.items()))}{flag}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "layers" / "retail"))
    sys.path.insert(0, str(ROOT))
    from retail.inventory import audit_stock
    from retail.store import connect
    from scripts.gateway.launcher import start_gateway, stop

    with tempfile.TemporaryDirectory() as tmp:
        gateway = start_gateway(Path(tmp), "dev", workers=args.workers)
        try:
            db = connect(gateway.db_uri)
            db.stock.update_one(
                {"_id": f"{SCARCE_SKU}@central"},
                {"$set": {"available": SCARCE_STOCK, "received": SCARCE_STOCK}},
            )
            began = time.perf_counter()
            samples = run_mixed_load(gateway.url, args.seconds, args.clients, args.threads)
            elapsed = time.perf_counter() - began
            sessions = sum(1 for s in samples if s[0] == "user_login")
            print(
                f"{args.clients} client processes x {args.threads} threads + timers, "
                f"{args.workers} gateway workers, {args.seconds:g} s: {sessions} sessions, "
                f"{len(samples)} calls ({len(samples) / elapsed:.0f}/s)"
            )
            lines = report(samples)
            print("\n".join(lines))
            slow = sum("SLOW" in line for line in lines)
            print(f"functions over the {SLOW_MS:.0f} ms p99 budget: {slow}")
            problems = audit_stock(db)
            print(f"stock audit: {'clean' if not problems else problems[:5]}")
        finally:
            stop(gateway)


if __name__ == "__main__":
    main()
