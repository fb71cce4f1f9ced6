"""What the local WeChat answers with: WeChat's `errcode`/`errmsg`, 0 and "ok" on success."""

from __future__ import annotations

from typing import Any

Answer = dict[str, Any]
OK: Answer = {"errcode": 0, "errmsg": "ok"}


def error(errcode: int, errmsg: str) -> Answer:
    return {"errcode": errcode, "errmsg": errmsg}
