"""How the instance says no: its JSON error body, its OAuth refusal, its rate headers."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

from itsmhub.emulation import RateWindow


def error(status: int, message: str, detail: str = "", **headers: str) -> JSONResponse:
    """The instance's error body: ``{"error":{"message","detail"},"status":"failure"}``."""
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return JSONResponse(body, status_code=status, headers=headers or None)


#: The longest request line (path and query) the instance's front end takes; longer ones
#: are answered 414. Clients keep below it: pysnc sends a query of more than about 10,000
#: characters through the Batch API (vendor-apis.md §3.3), and so does the connector.
MAX_REQUEST_TARGET = 16_384

#: The instance's own words for the gate's refusals.
MESSAGES = {401: "User Not Authenticated", 414: "Request-URI Too Long"}


def gate_error(status: int, message: str, detail: str, headers: Mapping[str, str]) -> Response:
    """The toolkit gate's refusals (401, 429, injected faults) in the instance's shape."""
    return error(status, MESSAGES.get(status, message), detail, **headers)


def oauth_refusal(description: str) -> Response:
    """``/oauth_token.do`` refuses with 401 and this body, whatever the reason."""
    return JSONResponse({"error_description": "access_denied", "error": "server_error"}, 401)


def rate_headers(window: RateWindow, refused: bool) -> dict[str, str]:
    """``sys_rate_limit_rules`` headers: the hourly limit, the next window (epoch s), the
    rule's sys_id; ``Retry-After`` on a 429."""
    headers = {
        "X-RateLimit-Limit": str(window.rule.limit),
        "X-RateLimit-Reset": str(int(window.reset_at)),
        "X-RateLimit-Rule": window.rule.id,
    }
    if refused:
        headers["Retry-After"] = str(window.retry_after)
    return headers
