"""A real dev gateway (scripts/dev_server.py, several worker processes) on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.gateway.launcher import Gateway, start_gateway, stop

__all__ = ["Gateway", "start_gateway", "stop_gateway"]


def stop_gateway(gateway: Gateway) -> None:
    """Stop it, and check that none of its JSON log lines leaked personal data or secrets and
    that none reports a collection scan by the project's code (tests/scan_guard)."""
    from tests.conftest import LEAKS
    from tests.scan_guard import describe, offending, scans_logged

    logs = stop(gateway)
    assert '"event": "function_answered"' in logs
    assert not LEAKS.findall(logs), LEAKS.findall(logs)[:3]
    found = offending(scans_logged(logs))
    assert not found, describe(found)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    running = start_gateway(tmp_path_factory.mktemp("gateway-dev"), "dev")
    yield running
    stop_gateway(running)


@pytest.fixture(scope="module")
def prod_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    running = start_gateway(
        tmp_path_factory.mktemp("gateway-prod"),
        "prod",
        settings={"RETAIL_ALLOW_EMBEDDED_STORE": "yes"},  # production code on one machine
    )
    yield running
    stop_gateway(running)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for a console test module (tests/e2e/chromium.py)."""
    from .chromium import CHROMIUM, FLAGS

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()
