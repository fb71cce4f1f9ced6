"""How a request reaches WeChat Pay: the transport protocol, its answer, and HTTPS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from retail.common.errors import UpstreamUnavailable, error_fields
from retail.common.logs import log


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: str


class Transport(Protocol):
    def send(self, method: str, path: str, body: str, headers: dict[str, str]) -> Response: ...


class HttpsTransport:
    """api.mch.weixin.qq.com over HTTPS; only network failures are retried (once): every call
    we make is idempotent on WeChat's side by out_trade_no / out_refund_no."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.base_url, self.timeout_seconds = base_url.rstrip("/"), timeout_seconds

    def send(self, method: str, path: str, body: str, headers: dict[str, str]) -> Response:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            self.base_url + path, data=body.encode() or None, method=method, headers=headers
        )
        for attempt in range(2):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as reply:
                    return Response(
                        reply.status,
                        {k.lower(): v for k, v in reply.headers.items()},
                        reply.read().decode("utf-8"),
                    )
            except urllib.error.HTTPError as error:
                return Response(
                    error.code,
                    {k.lower(): v for k, v in error.headers.items()},
                    error.read().decode("utf-8"),
                )
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                log(
                    "wechatpay_unreachable",
                    "WARNING",
                    path=path,
                    attempt=attempt,
                    **error_fields(exc),
                )
        raise UpstreamUnavailable("WeChat Pay did not answer; try again")
