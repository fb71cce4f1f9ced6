"""The generated declarations and the typed client compile, and they hold the line: tsc
refuses unknown functions, wrongly typed fields and reasons the back end never gives
(miniprogram/typecheck/calls.ts marks each refusal with @ts-expect-error, which itself
fails when nothing is refused)."""

from __future__ import annotations

import json
import re

from .conftest import MINIPROGRAM, node_tool, run_tool

ROOT = MINIPROGRAM.parent
DECLARATIONS = MINIPROGRAM / "lib" / "retail-api.d.ts"


def test_the_client_and_its_declarations_type_check_with_the_wechat_typings():
    tsc = node_tool("tsc")
    run_tool([str(tsc), "-p", "tsconfig.json"])


def test_every_page_calls_the_functions_with_the_declared_types():
    """The pages (JavaScript, checked loosely: no implicit-any rules) call only functions
    that exist, with fields of the declared types."""
    run_tool([str(node_tool("tsc")), "-p", "tsconfig.pages.json"])


def test_readme_client_example_type_checks_against_the_declarations(tmp_path):
    """README's `call` example is checked like a page: a function or field it names that the
    back end does not have fails here."""
    example = re.search(r"^```js\n(.*?)^```$", (ROOT / "README.md").read_text(), re.S | re.M)
    assert example is not None
    code = example.group(1).replace(
        '"../../lib/retail"', json.dumps(str(MINIPROGRAM / "lib" / "retail"))
    )
    (tmp_path / "example.js").write_text(
        "// @ts-check\n"
        "/** @param {{sku_id: string, qty: number}[]} items @param {string} store_id\n"
        " * @param {string} idempotency_key */\n"
        f"async function example(items, store_id, idempotency_key) {{\n{code}}}\n"
        "module.exports = { example };\n"
    )
    config = {
        "extends": str(MINIPROGRAM / "tsconfig.pages.json"),
        "compilerOptions": {"typeRoots": [str(MINIPROGRAM / "node_modules")]},
        "include": [str(tmp_path / "example.js"), str(DECLARATIONS)],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    run_tool([str(node_tool("tsc")), "-p", str(tmp_path / "tsconfig.json")])


def test_declarations_name_every_function_and_every_reason():
    text = DECLARATIONS.read_text()
    functions = sorted(p.stem for p in (ROOT / "schemas" / "functions").glob("*.json"))
    assert re.findall(r"^export declare namespace (\w+) \{", text, re.M) == functions
    errors = json.loads((ROOT / "schemas" / "errors.json").read_text())
    for reason in errors["reasons"]:
        assert f'"{reason["reason"]}"' in text.split("export type ErrorReason = ")[1].split(";")[0]


def test_declarations_use_field_and_model_names_not_invented_titles():
    text = DECLARATIONS.read_text()
    assert "cityName: string;" in text
    assert not re.search(r"\b(Cityname|Telnumber|Detailinfo)\b", text)


def test_every_reason_the_back_end_gives_comes_from_the_enum():
    """A `reason="..."` typed as a string would reach clients without being declared."""
    layer = ROOT / "layers" / "retail" / "retail"
    typed = [
        f"{path.relative_to(ROOT)}: {found}"
        for path in layer.rglob("*.py")
        for found in re.findall(r'reason="[A-Z][A-Z_]+"', path.read_text())
    ]
    assert typed == []
