"""Every test runs against its own embedded store, in dev mode, with fresh cached settings."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from retail.adapters.wechat import wechat_api
from retail.common.database import database, reset_database
from retail.common.settings import reset_settings

from .operation_shapes import Recorder

ROOT = Path(__file__).resolve().parents[1]
DEMO_CATALOG = ROOT / "infra" / "seed" / "demo.json"
INDEXES = ROOT / "infra" / "indexes.json"
OPERATIONS = Recorder()  # every store feature the suite uses, by part (tests/operation_shapes)


def pytest_configure(config: pytest.Config) -> None:
    OPERATIONS.install()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    OPERATIONS.enter(item.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A whole green run fails if the function tests used a store feature the conformance
    suite never checked on every engine: add a test to tests/store/test_conformance_usage.py."""
    if exitstatus != 0 or not _whole_run(session):
        return
    missing = OPERATIONS.uncovered()
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(
            "store features the function tests use that the conformance suite never checks: "
            + "; ".join(missing),
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _whole_run(session: pytest.Session) -> bool:
    """Every conformance file and the function tests collected, nothing deselected."""
    option = session.config.option
    if getattr(option, "keyword", "") or getattr(option, "markexpr", ""):
        return False
    ran = {item.nodeid.split("::")[0] for item in session.items}
    files = {
        f"tests/store/{p.name}" for p in (ROOT / "tests" / "store").glob("test_conformance_*.py")
    }
    return files <= ran and any(path.startswith("tests/functions/") for path in ran)


LEAKS = re.compile(  # a mainland mobile number standing alone, a JWT, a private key
    r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])|eyJ[\w-]{10,}\.[\w-]{10,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY"
)


@pytest.fixture(autouse=True)
def logs_leak_nothing(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Every log line a test makes is checked: no phone number, token or private key in clear."""
    yield
    leaked = LEAKS.findall(capsys.readouterr().out)
    assert not leaked, f"log lines leaked {leaked[:3]}"


def forget_process_state() -> None:
    from retail.common.ratelimit import forget_limits
    from retail.experiments import forget_cached_definitions
    from retail.operators.sessions import forget_confirmed
    from retail.risk.limits import forget_risk_limits
    from retail.users.visitors import forget_visitors

    forget_limits()
    forget_confirmed()
    forget_visitors()
    forget_risk_limits()
    forget_cached_definitions()
    reset_settings()
    reset_database()
    wechat_api.cache_clear()


@pytest.fixture(autouse=True)
def no_collection_scans(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every query the project's code runs in a test is served by an index (tests/scan_guard)."""
    from retail_dev.embedded.scans import Scan, listen

    from .scan_guard import describe, offending

    scans: list[Scan] = []
    stop = listen(scans.append)
    yield
    stop()
    found = offending(scans)
    if request.node.get_closest_marker("scans_on_purpose") is None:
        assert not found, describe(found)


@pytest.fixture(scope="session")
def indexed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store with the project's indexes, as scripts/init_db.py leaves one: each test's
    store starts as a copy, so every query runs against the indexes production has."""
    from retail.store import connect
    from retail.store.indexes import apply_indexes

    path = tmp_path_factory.mktemp("indexed") / "retail.db"
    store = connect(f"sqlite:///{path}")
    apply_indexes(store, json.loads(INDEXES.read_text(encoding="utf-8")))
    store.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    indexed_store: Path,
) -> Iterator[str]:
    store = tmp_path_factory.mktemp("store") / "retail.db"  # beside the test's directory
    shutil.copyfile(indexed_store, store)
    uri = f"sqlite:///{store}"
    for name in (
        "WX_OPENID",
        "WX_APPID",
        "WX_UNIONID",
        "WX_CONTEXT_KEYS",
        "RETAIL_SESSION_SECRET",
        "RETAIL_WECHAT_CLIENT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETAIL_ENV", "dev")
    monkeypatch.setenv("RETAIL_DB_URI", uri)
    # Tests that switch to RETAIL_ENV=prod still run on their own embedded store.
    monkeypatch.setenv("RETAIL_ALLOW_EMBEDDED_STORE", "yes")
    monkeypatch.chdir(tmp_path)  # no stray .env is read, no .data/ is written in the repo
    forget_process_state()
    yield uri
    if database.cache_info().currsize:
        database().close()
    forget_process_state()


@pytest.fixture
def a_fresh_minute() -> Iterator[None]:
    """Per-minute budgets are counted in windows of the clock's minute; a test that spends one
    starts the second a minute begins, so the window cannot turn over under it, however busy
    the machine is."""
    from retail.common.clock import travel

    now = datetime.now(timezone.utc)
    travel(timedelta(minutes=1) - (now - now.replace(second=0, microsecond=0)))
    yield
    travel(timedelta(0))


# Call bookkeeping every function writes (metrics, rate-limit windows): not business data.
BOOKKEEPING = {"metrics", "rate_windows"}


def shop_collections(db: Any) -> list[str]:
    """The shop's collections: not the platforms' own records that dev keeps in the same store
    (`sandbox_*`: the local WeChat Pay's transactions, the local WeChat's shipping state and
    the journal of what was sent to them), which in production live at WeChat."""
    return [name for name in db.list_collection_names() if not name.startswith("sandbox_")]


def business_state(db: Any) -> dict[str, list[Any]]:
    """Every business document, to prove that a refused request wrote nothing."""
    return {
        name: list(db[name].find({}))
        for name in db.list_collection_names()
        if name not in BOOKKEEPING
    }


@pytest.fixture
def db() -> Any:
    """The test's store with the project's indexes, as scripts/init_db.py leaves it."""
    from retail.store.indexes import apply_indexes

    store = database()
    apply_indexes(store, json.loads(INDEXES.read_text(encoding="utf-8")))
    return store


@pytest.fixture
def demo_catalog() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_CATALOG.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def seeded(db: Any, demo_catalog: dict[str, Any]) -> Any:
    from retail.catalog import load_catalog

    load_catalog(demo_catalog, db)
    return db
