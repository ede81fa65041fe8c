"""How the account says no: its error bodies and its rate-limit headers (vendor-apis.md
§4.4, §4.6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse, Response

from itsmhub.emulation import RateWindow

CONFLICT = (
    "Safe Update prevented the update due to outdated ticket data. "
    "Please fetch the latest ticket data and try again."
)
#: The error code and description Zendesk answers each refusal with.
BODIES: dict[int, tuple[str, str]] = {
    400: ("InvalidValue", "The request is not valid"),
    401: ("Couldn't authenticate you", ""),
    403: ("Forbidden", "You do not have access to this page. Please contact the account owner."),
    404: ("RecordNotFound", "Not found"),
    409: ("UpdateConflict", "The ticket was updated by someone else"),
    413: ("RequestTooLarge", "The request is too large"),
    414: ("RequestTooLarge", "The request line is too long"),
    422: ("RecordInvalid", "Record validation errors"),
    429: ("APIRateLimitExceeded", "Number of allowed API requests per minute exceeded"),
    500: ("InternalServerError", "An internal error occurred"),
    503: ("ServiceUnavailable", "Zendesk is temporarily unavailable"),
}


def error(
    status: int,
    description: str | None = None,
    *,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """``{"error": code, "description": …, "details": …}``; a 401 is ``{"error": …}`` only."""
    code, default = BODIES.get(status, ("Error", "An error occurred"))
    body: dict[str, Any] = {"error": code}
    if status != 401:
        body["description"] = description or default
    if details:
        body["details"] = dict(details)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}) or None)


def gate_error(status: int, message: str, detail: str, headers: Mapping[str, str]) -> Response:
    """The toolkit gate's refusals (401, 414, 429, injected faults) in Zendesk's shape."""
    return error(status, detail if status not in (401,) else None, headers=headers)


def rate_headers(window: RateWindow, refused: bool) -> dict[str, str]:
    """The account limit's ``X-Rate-Limit``/``X-Rate-Limit-Remaining`` on every answer;
    the exports' own limit shows only as ``Retry-After`` on its 429."""
    headers: dict[str, str] = {}
    if window.rule.reason == "account":
        headers["X-Rate-Limit"] = str(window.rule.limit)
        headers["X-Rate-Limit-Remaining"] = str(window.remaining)
    if refused:
        headers["Retry-After"] = str(window.retry_after)
    return headers


__all__ = ["BODIES", "CONFLICT", "error", "gate_error", "rate_headers"]
