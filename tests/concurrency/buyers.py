"""A buyer's call through the dev gateway, importable by the spawned client processes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def post(url: str, path: str, body: Any, openid: str) -> tuple[int, dict[str, Any]]:
    """POST `body` to `path` as the dev buyer `openid`; (HTTP status, answer)."""
    request = urllib.request.Request(
        url + path, data=json.dumps(body).encode(), method="POST", headers={"X-Dev-Openid": openid}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def answer(url: str, path: str, body: Any, openid: str) -> dict[str, Any]:
    """Only the answer of `post`."""
    return post(url, path, body, openid)[1]
