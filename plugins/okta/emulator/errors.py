"""How Okta says no: its error body, its error codes, its rate-limit headers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

from itsmhub.emulation import RateWindow

#: Okta's error codes and summaries by status (vendor-apis.md §5.6).
CODES: dict[int, tuple[str, str]] = {
    400: ("E0000001", "Api validation failed"),
    401: ("E0000011", "Invalid token provided"),
    403: ("E0000006", "You do not have permission to perform the requested action"),
    404: ("E0000007", "Not found: Resource not found"),
    405: ("E0000022", "The endpoint does not support the provided HTTP method"),
    414: ("E0000001", "Api validation failed: the request line is too long"),
    429: ("E0000047", "API call exceeded rate limit due to too many requests."),
    500: ("E0000009", "Internal Server Error"),
    502: ("E0000009", "Internal Server Error"),
    503: ("E0000010", "Service is in read only mode"),
    504: ("E0000009", "Internal Server Error"),
}


def error(
    status: int,
    summary: str | None = None,
    causes: list[str] | None = None,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """``{"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}``."""
    default_code, default_summary = CODES.get(status, ("E0000009", "Internal Server Error"))
    code = code or default_code
    body = {
        "errorCode": code,
        "errorSummary": summary or default_summary,
        "errorLink": code,
        "errorId": "oae" + uuid.uuid4().hex[:19],
        "errorCauses": [{"errorSummary": cause} for cause in causes or []],
    }
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def not_found(what: str) -> JSONResponse:
    return error(404, f"Not found: Resource not found: {what}")


def invalid_search(detail: str) -> JSONResponse:
    return error(400, "Invalid search criteria.", [detail], code="E0000031")


def gate_error(status: int, message: str, detail: str, headers: Mapping[str, str]) -> Response:
    """The toolkit gate's refusals (401, 429, injected faults) in Okta's shape."""
    summary = None if status in CODES else f"{message}: {detail}"
    return error(status, summary, headers=headers)


def rate_headers(window: RateWindow, refused: bool) -> dict[str, str]:
    """``X-Rate-Limit-Limit/Remaining/Reset`` (UTC epoch seconds) on every answer of a
    bucket; Okta sends no ``Retry-After`` on a 429: the reset says when to come back."""
    return {
        "X-Rate-Limit-Limit": str(window.rule.limit),
        "X-Rate-Limit-Remaining": str(window.remaining),
        "X-Rate-Limit-Reset": str(int(window.reset_at)),
    }
