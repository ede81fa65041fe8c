"""httpx event hooks: one log line per response, and pacing from rate-limit headers.

The log line carries method, host, path, status, time to response headers, and the vendor's
request id and rate-limit hints when present. Never headers, query strings or bodies: those
hold credentials, search terms and record data (OWASP Logging Cheat Sheet).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import httpx

from .dialect import dialect_of
from .ratelimit import RateLimitState, read_rate_limit
from .redact import RedactingFilter, redact_text
from .vendor_errors import request_id

logger = logging.getLogger("itsmhub.http")
# Redact at the source too: whatever logging the application sets up, records from this
# logger are clean before they propagate (a logger's filters run before any handler's).
logger.addFilter(RedactingFilter())

RequestHook = Callable[[httpx.Request], Awaitable[None]]
ResponseHook = Callable[[httpx.Response], Awaitable[None]]

_STARTED = "itsmhub.started"

ResponseObserver = Callable[[httpx.Response], None]
_observers: list[ResponseObserver] = []


def observe_responses(observer: ResponseObserver) -> Callable[[], None]:
    """Call ``observer`` with every response any itsmhub client receives (the daemon's
    metrics count calls and 429s per vendor this way); returns what stops it. Observers
    must be quick and must not raise."""
    _observers.append(observer)
    return lambda: _observers.remove(observer) if observer in _observers else None


async def notify_observers(response: httpx.Response) -> None:
    """The response hook every client built by ``build_client`` carries."""
    for observer in list(_observers):
        observer(response)


async def log_request(request: httpx.Request) -> None:
    """Remember when the request left, for the response's log line."""
    request.extensions[_STARTED] = time.perf_counter()


async def log_response(response: httpx.Response) -> None:
    """Log one redacted line per response: DEBUG for successes, INFO for errors."""
    request = response.request
    started = request.extensions.get(_STARTED)
    elapsed_ms = (time.perf_counter() - started) * 1000 if started is not None else -1.0
    rid = request_id(response)
    limits = read_rate_limit(response.headers, time.time(), dialect_of(request.extensions))
    reason = limits.reason
    hints = "".join(
        [
            f" request-id={rid}" if rid else "",
            f" ratelimit-remaining={limits.remaining}" if limits.remaining is not None else "",
            " ratelimit-near-limit" if limits.near_limit else "",
            f" ratelimit-reason={redact_text(reason[:60])}" if reason else "",
        ]
    )
    logger.log(
        logging.DEBUG if response.status_code < 400 else logging.INFO,
        "%s %s%s -> %d in %.0f ms%s",
        request.method,
        request.url.host,
        request.url.path,
        response.status_code,
        elapsed_ms,
        hints,
        extra={
            "http_method": request.method,
            "http_host": request.url.host,
            "http_path": request.url.path,
            "http_status": response.status_code,
            "http_elapsed_ms": round(elapsed_ms, 1),
            "http_request_id": rid,
        },
    )


def pacing_hooks(pacer: RateLimitState) -> tuple[RequestHook, ResponseHook]:
    """A request hook that waits out ``pacer``'s pause and a response hook that feeds it."""

    async def pace(request: httpx.Request) -> None:
        if (waited := await pacer.wait()) > 0:
            logger.info(
                "paced %s %s%s by %.1f s (vendor rate limit)",
                request.method,
                request.url.host,
                request.url.path,
                waited,
            )

    async def observe(response: httpx.Response) -> None:
        pacer.observe(response)

    return pace, observe


__all__ = ["log_request", "log_response", "pacing_hooks"]
