"""How the site says no: Jira's ``ErrorCollection`` body and its rate-limit headers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from starlette.responses import JSONResponse, Response

from itsmhub.emulation import RateWindow

#: Jira's own words for the gate's refusals.
MESSAGES = {
    401: "You are not authenticated. Authentication required to perform this operation.",
    414: "The request URI is too long.",
    429: "Rate limit exceeded.",
}
BURST = "jira-burst-based"


def error(
    status: int,
    messages: Iterable[str] = (),
    errors: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """``{"errorMessages": [...], "errors": {field: message}}`` (vendor-apis.md §2.1)."""
    body = {"errorMessages": list(messages), "errors": dict(errors or {})}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}) or None)


def gate_error(status: int, message: str, detail: str, headers: Mapping[str, str]) -> Response:
    """The toolkit gate's refusals (401, 429, injected faults) in Jira's shape; a 429
    names the limit that applied, as Jira's ``RateLimit-Reason`` does."""
    extra = dict(headers)
    if status == 429:
        extra.setdefault("RateLimit-Reason", BURST)
    return error(status, [MESSAGES.get(status, detail or message)], headers=extra)


def reset_stamp(epoch: float) -> str:
    """``X-RateLimit-Reset`` as Jira writes it: ISO-8601 to the minute, ``Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%MZ")


def rate_headers(window: RateWindow, refused: bool) -> dict[str, str]:
    """``X-RateLimit-Limit/Remaining/Reset``, ``X-RateLimit-NearLimit`` under a fifth of
    the budget, and on a 429 ``Retry-After`` with the ``RateLimit-Reason``."""
    headers = {
        "X-RateLimit-Limit": str(window.rule.limit),
        "X-RateLimit-Remaining": str(window.remaining),
        "X-RateLimit-Reset": reset_stamp(window.reset_at),
    }
    if window.remaining < window.rule.limit * 0.2:
        headers["X-RateLimit-NearLimit"] = "true"
    if refused:
        headers["Retry-After"] = str(window.retry_after)
        headers["RateLimit-Reason"] = window.rule.reason or BURST
    return headers


__all__ = ["BURST", "MESSAGES", "error", "gate_error", "rate_headers", "reset_stamp"]
