from __future__ import annotations

import json

from retail.common.logs import log, mask


def test_phone_numbers_are_masked_anywhere_in_text():
    assert mask("call 13812345678 now") == "call 138****5678 now"
    assert mask({"note": ["x 15900001111"]}) == {"note": ["x 159****1111"]}


def test_names_addresses_and_secrets_are_masked_by_field():
    masked = mask(
        {
            "userName": "张三丰",
            "telNumber": "13812345678",
            "detailInfo": "五华区南屏街88号3栋",
            "session_key": "abc",
            "apiv3_key": "k" * 32,
            "sku_id": "p-1",
        }
    )
    assert masked == {
        "userName": "张**",
        "telNumber": "138****5678",
        "detailInfo": "五华区南屏街***",
        "session_key": "***",
        "apiv3_key": "***",
        "sku_id": "p-1",
    }


def test_log_writes_one_masked_json_line(capsys):
    log("address_saved", address={"userName": "李四", "telNumber": "13900001111"}, token="t")
    line = json.loads(capsys.readouterr().out)
    assert line["event"] == "address_saved" and line["token"] == "***"
    assert "13900001111" not in json.dumps(line, ensure_ascii=False)


def test_the_suites_leak_detector_sees_phones_and_tokens_but_not_ids():
    from retail.common.tokens import issue_session_token
    from tests.conftest import LEAKS

    token, _ = issue_session_token("o-1")
    assert LEAKS.findall(f"call 13812345678 with {token}")
    assert not LEAKS.findall("request 4b14229244698e1 ok")
    assert not LEAKS.findall(json.dumps(mask({"telNumber": "13812345678", "token": token})))


def test_lines_below_the_configured_level_are_not_written(capsys, monkeypatch):
    from retail.common.logs import log
    from retail.common.settings import reset_settings

    monkeypatch.setenv("RETAIL_LOG_LEVEL", "WARNING")
    reset_settings()
    log("quiet_event")
    log("loud_event", "WARNING")
    out = capsys.readouterr().out
    assert "quiet_event" not in out and "loud_event" in out
