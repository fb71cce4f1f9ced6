"""The operator console in a real browser: Debian's headless Chromium driven by Playwright
signs in, opens every page after the demo scenario, and checks each figure shown against
the operator function that serves it and against a recomputation from the orders and
events themselves. Screenshots of every page go to the test's temporary folder (and to
.artifacts/console/ for people to look at)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from retail.common.clock import business_day, day_of
from retail.store import connect
from scripts.gateway.launcher import stop

from .chromium import SHOTS, skip_without_the_console_tools
from .conftest import start_gateway, stop_gateway

ROOT = Path(__file__).resolve().parents[2]
skip_without_the_console_tools()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console")
    gateway = start_gateway(folder, "dev", workers=2)
    env = {**os.environ, "RETAIL_ENV": "dev", "RETAIL_DB_URI": gateway.db_uri}
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "demo_traffic.py"),
            "--days",
            "14",
            "--buyers",
            "24",
        ],
        env=env,
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=300,
    )
    stop(gateway)  # started again after the demo, as `make dev` does: its storage refills
    gateway = start_gateway(folder, "dev", workers=2)
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def console(shop, browser, tmp_path_factory):
    page = sign_in(browser, shop, "admin", "demo-admin-password")
    shots = tmp_path_factory.mktemp("shots")
    yield page, shots
    page.close()


def sign_in(browser, shop, operator_id, password):
    """A new page signed in through the console's form, on its dashboard."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(shop.url + "/console/")
    page.fill("#operator-id", operator_id)
    page.fill("#password", password)
    page.click("form#login button")
    page.wait_for_selector("main[data-page=dashboard][data-ready=true]", timeout=20_000)
    return page


def open_page(page, route, shots):
    page.evaluate(f"location.hash = '#/{route}'")
    name = route.split("?")[0]
    page.wait_for_selector(f"main[data-page={name}][data-ready=true]", timeout=20_000)
    assert not page.is_visible("#error"), page.inner_text("#error")
    for folder in (shots, SHOTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def shown(page, testid):
    return page.get_attribute(f"[data-testid='{testid}']", "data-value")


def drawn(page, testid):
    return page.locator(f"[data-testid='{testid}'] canvas").count() > 0


def call(shop, page, name, data):
    token = page.evaluate("sessionStorage.getItem('retail-operator-token')")
    status, answer = shop.post(f"/http/{name}", data, {"Authorization": f"Bearer {token}"})
    assert status == 200, answer
    return answer["data"]


def days_of(page):
    start, end = page.input_value("#start"), page.input_value("#end")
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return start, end, [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_dashboard_shows_sales_equal_to_the_orders(shop, console):
    page, shots = console
    open_page(page, "dashboard", shots)
    start, end, days = days_of(page)
    db = connect(shop.db_uri)
    window = {"$gte": business_day(days[0])[0], "$lt": business_day(days[-1])[1]}
    paid = list(db.orders.find({"paid_at": window}))
    refunded = db.orders.count_documents({"refunded_at": window})
    assert paid, "the demo scenario paid no orders"
    served = call(shop, page, "analytics_sales", {"start": start, "end": end})["total"]
    gmv = sum(o["paid_amount"] for o in paid)
    assert int(shown(page, "kpi-gmv")) == served["gmv"] == gmv
    assert int(shown(page, "kpi-orders")) == served["paid_orders"] == len(paid)
    assert int(shown(page, "kpi-payers")) == len({o["openid"] for o in paid})
    assert int(shown(page, "kpi-aov")) == gmv // len(paid)
    assert float(shown(page, "kpi-refund-rate")) == round(refunded / len(paid), 4)
    assert drawn(page, "chart-trend")


def test_funnel_equals_a_recomputation_from_events_and_orders(shop, console):
    page, shots = console
    open_page(page, "funnel", shots)
    start, end, days = days_of(page)
    db = connect(shop.db_uri)
    reached = defaultdict(set)  # distinct users over the range: those who, on one day, did
    for day in days:  # the step and every step before it
        window = {"$gte": business_day(day)[0], "$lt": business_day(day)[1]}
        views = set(db.events.distinct("openid", {"day": day.isoformat(), "type": "product_view"}))
        carts = views & set(
            db.events.distinct("openid", {"day": day.isoformat(), "type": "add_to_cart"})
        )
        placed = set(
            db.orders.distinct("openid", {"created_at": window, "status": {"$ne": "FAILED"}})
        )
        paid = set(db.orders.distinct("openid", {"paid_at": window}))
        for step, users in (("view", views), ("cart", carts), ("order", carts & placed)):
            reached[step] |= users
        reached["pay"] |= carts & placed & paid
    totals = {step: len(users) for step, users in reached.items()}
    served = call(shop, page, "analytics_funnel", {"start": start, "end": end})["steps"]
    for step in served:
        assert int(shown(page, f"funnel-{step['step']}")) == step["users"] == totals[step["step"]]
    assert totals["view"] > totals["pay"] > 0
    assert drawn(page, "chart-funnel")


def test_retention_and_segments_equal_the_customers(shop, console):
    page, shots = console
    db = connect(shop.db_uri)
    first_paid: dict[str, date] = {}
    for order in db.orders.find({"status": {"$in": ["PAID", "SHIPPED", "COMPLETED"]}}):
        day = day_of(order["paid_at"])
        first_paid[order["openid"]] = min(day, first_paid.get(order["openid"], day))
    open_page(page, "segments", shots)
    served = call(shop, page, "analytics_segments", {})["data"]["segments"]
    assert sum(served.values()) == len(first_paid)
    for name, count in served.items():
        assert int(shown(page, f"segment-{name}")) == count
    assert drawn(page, "chart-segments")
    open_page(page, "retention", shots)
    cohorts = defaultdict(int)
    for first in first_paid.values():
        cohorts[(first - timedelta(days=first.weekday())).isoformat()] += 1
    for cohort in call(shop, page, "analytics_retention", {})["data"]["cohorts"]:
        assert int(shown(page, f"cohort-{cohort['week']}-size")) == cohort["size"]
        assert cohort["size"] == cohorts[cohort["week"]]
    assert drawn(page, "chart-retention")


def test_channels_experiments_orders_and_statements(shop, console):
    page, shots = console
    db = connect(shop.db_uri)
    open_page(page, "channels", shots)
    start, end, _ = days_of(page)
    for row in call(shop, page, "analytics_channels", {"start": start, "end": end})["channels"]:
        assert int(shown(page, f"channel-{row['channel']}-gmv")) == row["gmv"]
        assert int(shown(page, f"channel-{row['channel']}-orders")) == row["paid_orders"]
    assert drawn(page, "chart-channels")
    open_page(page, "experiments", shots)
    for arm in ("control", "discount"):
        exposed = db.exposures.count_documents({"experiment": "share-copy", "arm": arm})
        assert int(shown(page, f"arm-{arm}-exposed")) == exposed > 0
    assert drawn(page, "chart-experiment")
    open_page(page, "orders", shots)
    rows = page.locator("[data-testid='orders-table'] tbody tr")
    assert rows.count() == min(20, db.orders.count_documents({}))  # one page
    assert "****" in page.inner_text("[data-testid='orders-table']")  # phones masked
    open_page(page, "statements?merchant_id=m-huaxia", shots)
    figures = page.locator("[data-testid^='statement-']")
    expected = db.statements.count_documents({"merchant_id": "m-huaxia"})
    assert figures.count() == min(20, expected) > 0  # one page of the merchant's statements
    for n in range(figures.count()):
        day = figures.nth(n).get_attribute("data-testid").removeprefix("statement-m-huaxia-")
        statement = db.statements.find_one({"merchant_id": "m-huaxia", "day": day})
        assert int(figures.nth(n).get_attribute("data-value")) == statement["net"]
    links = page.locator("[data-testid='statements-table'] a", has_text="CSV")
    assert links.count() == figures.count()
    for n in range(links.count()):
        with urllib.request.urlopen(links.nth(n).get_attribute("href"), timeout=10) as csv:
            assert csv.read().decode("utf-8").splitlines()[-1].startswith("net_payable_fen,")
    # The demo shop takes payments directly: a statement's split page says nothing is split.
    first = page.locator("[data-testid^='splits-m-huaxia']").first
    statement_id = first.get_attribute("data-testid").removeprefix("splits-")
    open_page(page, f"splits?statement_id={statement_id}", shots)
    assert page.is_visible("[data-testid='splits-direct']")
    assert int(shown(page, "splits-moved")) == 0


def test_a_merchant_sees_its_own_sales_and_only_its_pages(shop, browser):
    page = sign_in(browser, shop, "huaxia", "demo-merchant-password")
    start, end, days = days_of(page)
    db = connect(shop.db_uri)
    window = {"$gte": business_day(days[0])[0], "$lt": business_day(days[-1])[1]}
    own = sum(
        line["amount"]
        for order in db.orders.find({"paid_at": window})
        for line in order["lines"]
        if line["merchant_id"] == "m-huaxia"
    )
    served = call(shop, page, "analytics_sales", {"start": start, "end": end})
    assert served["merchant_id"] == "m-huaxia"
    assert int(shown(page, "kpi-gmv")) == served["total"]["gmv"] == own
    visible = [a.get_attribute("href") for a in page.locator("#nav a:visible").all()]
    assert visible == [
        "#/dashboard",
        "#/funnel",
        "#/segments",
        "#/orders",
        "#/products",
        "#/reviews",
        "#/ads",
        "#/statements",
    ]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "merchant-dashboard.png"), full_page=True)
    page.close()
