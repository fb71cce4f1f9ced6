"""The closed set of answer codes, and one typed exception per code.

Domain code raises these; the runtime maps them to `{"code", "message"}` and, over HTTP,
to a status. `schemas/errors.json` is generated from ErrorCode.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

DocumentT = TypeVar("DocumentT", bound=Mapping[str, Any])


class ErrorCode(str, Enum):
    OK = "OK"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    CONFLICT = "CONFLICT"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.OK: 200,
    ErrorCode.INVALID_ARGUMENT: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.OUT_OF_STOCK: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.UPSTREAM_UNAVAILABLE: 502,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}

MEANING: dict[ErrorCode, str] = {
    ErrorCode.OK: "the call succeeded; `data` holds the answer",
    ErrorCode.INVALID_ARGUMENT: "the request is malformed or out of bounds; nothing was written",
    ErrorCode.UNAUTHENTICATED: "no verified caller identity (missing, expired or forged session)",
    ErrorCode.FORBIDDEN: "the caller is known but may not do this",
    ErrorCode.NOT_FOUND: "no such function or resource visible to this caller",
    ErrorCode.OUT_OF_STOCK: "not enough stock for a line; `details.sku_id` names it",
    ErrorCode.CONFLICT: "the resource is not in a state that allows this (already paid ...)",
    ErrorCode.PAYLOAD_TOO_LARGE: "the request body is over the size limit",
    ErrorCode.RATE_LIMITED: "too many calls; retry after `details.retry_after_seconds`",
    ErrorCode.UPSTREAM_UNAVAILABLE: "WeChat or another upstream failed; safe to retry",
    ErrorCode.UNAVAILABLE: "the database did not answer in time, or an interrupted order is still "
    "being placed; retry the same request (same key) after `details.retry_after_seconds`",
    ErrorCode.INTERNAL: "an unexpected fault, logged with the request id",
}


class Reason(str, Enum):
    """`details.reason` of an error: what a client branches on (schemas/errors.json)."""

    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    RISK_BLOCKED = "RISK_BLOCKED"
    NEW_ACCOUNT = "NEW_ACCOUNT"
    METRIC_NOT_RECORDED = "METRIC_NOT_RECORDED"
    STORE_UNREACHABLE = "STORE_UNREACHABLE"
    DAY_NOT_ENDED = "DAY_NOT_ENDED"
    GROUP_NOT_FORMED = "GROUP_NOT_FORMED"
    PARCELS_WAITING = "PARCELS_WAITING"
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    PLATFORM_ONLY = "PLATFORM_ONLY"
    ORDERS_OPEN = "ORDERS_OPEN"
    PICKUP_CODE_SHARED = "PICKUP_CODE_SHARED"
    CONTENT_RISKY = "CONTENT_RISKY"
    CONFIRM_AT_WECHAT = "CONFIRM_AT_WECHAT"
    MERCHANT_NOT_PAYABLE = "MERCHANT_NOT_PAYABLE"


REASON_CODE: dict[Reason, ErrorCode] = {
    Reason.CONSENT_REQUIRED: ErrorCode.FORBIDDEN,
    Reason.RISK_BLOCKED: ErrorCode.FORBIDDEN,
    Reason.NEW_ACCOUNT: ErrorCode.FORBIDDEN,
    Reason.METRIC_NOT_RECORDED: ErrorCode.INVALID_ARGUMENT,
    Reason.STORE_UNREACHABLE: ErrorCode.UNAVAILABLE,
    Reason.DAY_NOT_ENDED: ErrorCode.INVALID_ARGUMENT,
    Reason.GROUP_NOT_FORMED: ErrorCode.CONFLICT,
    Reason.PARCELS_WAITING: ErrorCode.CONFLICT,
    Reason.ALREADY_ANSWERED: ErrorCode.CONFLICT,
    Reason.PLATFORM_ONLY: ErrorCode.FORBIDDEN,
    Reason.ORDERS_OPEN: ErrorCode.CONFLICT,
    Reason.PICKUP_CODE_SHARED: ErrorCode.CONFLICT,
    Reason.CONTENT_RISKY: ErrorCode.CONFLICT,
    Reason.CONFIRM_AT_WECHAT: ErrorCode.CONFLICT,
    Reason.MERCHANT_NOT_PAYABLE: ErrorCode.CONFLICT,
}

REASON_MEANING: dict[Reason, str] = {
    Reason.CONSENT_REQUIRED: "accept the current privacy policy (`details.policy_version`) first",
    Reason.RISK_BLOCKED: "refused by the risk rules (blacklist, order velocity, brushing)",
    Reason.NEW_ACCOUNT: "flash-sale goods and guarded coupons wait until the account is older",
    Reason.METRIC_NOT_RECORDED: "an experiment's metric must be a tracked event or an order metric",
    Reason.STORE_UNREACHABLE: "the database did not answer in time; retry",
    Reason.DAY_NOT_ENDED: "a business day is settled only after it ended plus a grace",
    Reason.GROUP_NOT_FORMED: "a group-buy order ships or is picked up once its group succeeded",
    Reason.PARCELS_WAITING: "the order completes when every merchant's parcel has shipped",
    Reason.ALREADY_ANSWERED: "an order's satisfaction survey is answered once",
    Reason.PLATFORM_ONLY: "memberships are the platform's own goods, saved by an admin",
    Reason.ORDERS_OPEN: "erasure waits until the orders in `details.order_ids` have ended",
    Reason.PICKUP_CODE_SHARED: "several paid orders at the store carry this code: give order_id",
    Reason.CONTENT_RISKY: "WeChat's content check found it risky: it is shown to nobody",
    Reason.CONFIRM_AT_WECHAT: "confirm receipt in WeChat's component first "
    "(wx.openBusinessView weappOrderConfirm with `details.transaction_id`), then again",
    Reason.MERCHANT_NOT_PAYABLE: "the payment mode does not let this merchant's sales be "
    "collected: marketplace needs its active sub_mchid, direct only the platform's own",
}


class RetailError(Exception):
    """A failure the caller is told about, with a stable code and optional details."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidArgument(RetailError):
    code = ErrorCode.INVALID_ARGUMENT


class Unauthenticated(RetailError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(RetailError):
    code = ErrorCode.FORBIDDEN


class NotFound(RetailError):
    code = ErrorCode.NOT_FOUND


class OutOfStock(RetailError):
    code = ErrorCode.OUT_OF_STOCK


class Conflict(RetailError):
    code = ErrorCode.CONFLICT


class PayloadTooLarge(RetailError):
    code = ErrorCode.PAYLOAD_TOO_LARGE


class RateLimited(RetailError):
    code = ErrorCode.RATE_LIMITED


class UpstreamUnavailable(RetailError):
    code = ErrorCode.UPSTREAM_UNAVAILABLE


class Unavailable(RetailError):
    """The store did not answer within its timeouts (answered before SCF's own timeout)."""

    code = ErrorCode.UNAVAILABLE


class ConfigurationError(RuntimeError):
    """A setting the current environment needs is missing or wrong; names the setting."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting} {problem}")
        self.setting = setting


def error_fields(exc: BaseException) -> dict[str, str]:
    """What a log line says about a caught exception: its class, and the setting if any."""
    fields = {"error": type(exc).__name__}
    if isinstance(exc, ConfigurationError):
        fields["setting"] = exc.setting
    return fields


def found(document: DocumentT | None, what: str) -> DocumentT:
    """`document`, or NotFound naming `what`: a read after a write can still miss (the
    document erased meanwhile), and the caller gets a clear answer, not a fault."""
    if document is None:
        raise NotFound(f"no {what}")
    return document
