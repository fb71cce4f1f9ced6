"""console/app.js, which the gateway and static hosts serve, is exactly the console/src/
files in order (`make console` rebuilds it)."""

from __future__ import annotations

from scripts.build_console import CONSOLE, SOURCES, bundle


def test_console_app_js_is_built_from_its_sources():
    assert (CONSOLE / "app.js").read_text(encoding="utf-8") == bundle(), "run `make console`"
    assert sorted(p.name for p in (CONSOLE / "src").glob("*.js")) == sorted(SOURCES)
