"""Send one request with in-process retries driven by tenacity.

Only :class:`~itsmhub.errors.TransientError` is retried. The wait is what the vendor asked
for (``Retry-After``, else its reset headers on a 429), else exponential backoff with full
jitter capped at ``max_backoff``. A vendor wait longer than ``max_retry_after`` is not slept
through here: ``RateLimited(retry_after=...)`` goes up at once, so the outbox can schedule
the retry durably and a restart does not forget it (sync-guarantees G7, G9).

Non-idempotent requests (POST, PATCH unless the caller vouches for it) are retried only when
the vendor certainly did not act on them (connection never made, 408/425/429); otherwise a
retry could create a record twice, and the outbox's marker search (G3) must decide.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from typing import Any, NoReturn, cast

import anyio
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ..errors import ConfigError, ItsmhubError, TransientError
from .errors import Resolution, annotate, classify, classify_exception, is_replay_safe
from .ratelimit import Clock, Sleep
from .redact import redact_exception
from .settings import HttpSettings

logger = logging.getLogger("itsmhub.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
"""RFC 9110 §9.2.2. PATCH is not listed: only an absolute-value PATCH is (pass idempotent)."""

# Jitter spreads retries of many workers apart; it needs no cryptographic quality.
_jitter = random.Random()  # noqa: S311


def full_jitter(attempt: int, base: float, cap: float, rand: random.Random = _jitter) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): a uniform draw
    below ``base * 2**(attempt-1)``, capped at ``cap`` ("full jitter": retries of many
    workers spread apart instead of arriving together)."""
    return rand.uniform(0.0, min(cap, base * 2.0 ** (max(attempt, 1) - 1)))


def backoff(attempt: int, settings: HttpSettings, rand: random.Random = _jitter) -> float:
    """:func:`full_jitter` with the HTTP client's base and cap, for in-process retries."""
    return full_jitter(attempt, settings.backoff_base, settings.max_backoff, rand)


async def read_capped(response: httpx.Response, limit: int) -> httpx.Response:
    """Read a streamed response whole, refusing one over ``limit`` bytes (decoded) before
    it is all in memory. The answer comes back read, as ``client.send`` would return it."""
    try:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(response, limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(response, limit)
            chunks.append(chunk)
    finally:
        await response.aclose()
    # The body is decoded already: the new response must not decode it again.
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=response.request,
        extensions=response.extensions,
    )


def _too_large(response: httpx.Response, limit: int) -> ConfigError:
    request = response.request
    return ConfigError(
        f"the answer to {request.method} {request.url.scheme}://{request.url.host}"
        f"{request.url.path} is over {limit:,} bytes; itsmhub stopped reading it",
        key="http.max_response_bytes",
        fix="lower the connector's page_size, or raise [http] max_response_bytes if "
        "answers this large are expected from this vendor",
    )


async def send_with_retries(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
    *,
    settings: HttpSettings,
    idempotent: bool | None = None,
    overrides: Mapping[int, Resolution | None] | None = None,
    sleep: Sleep = anyio.sleep,
    clock: Clock = time.time,
    **request_kwargs: Any,
) -> httpx.Response:
    """Send ``method url`` through ``client``; return the (read) success response or raise.

    ``request_kwargs`` go to ``client.build_request`` (``params``, ``json``, ``content``,
    ``headers``, ...); each attempt builds a fresh request, so bodies must be replayable
    (bytes or JSON, not a one-shot stream). ``idempotent`` defaults from the method.
    ``overrides`` adjusts the status table (see :func:`~itsmhub.http.classify`). ``sleep`` and
    ``clock`` are injectable so tests never wait.

    Raises the classified :class:`~itsmhub.errors.ItsmhubError`: after the last attempt, the
    last ``TransientError`` with the attempt count in its message.
    """
    method = method.upper()
    if idempotent is None:
        idempotent = method in IDEMPOTENT_METHODS

    def note_unsafe(error: ItsmhubError) -> ItsmhubError:
        if isinstance(error, TransientError) and not idempotent and not is_replay_safe(error):
            return annotate(error, f"not retried: the vendor may have applied this {method}")
        return error

    async def attempt() -> httpx.Response:
        request = client.build_request(method, url, **request_kwargs)
        try:
            response = await read_capped(
                await client.send(request, stream=True), settings.max_response_bytes
            )
        except httpx.HTTPError as exc:
            raise note_unsafe(classify_exception(exc)) from redact_exception(exc)
        error = classify(response, overrides=overrides, now=clock())
        if error is not None:
            raise note_unsafe(error)
        return response

    def retryable(exc: BaseException) -> bool:
        if not isinstance(exc, TransientError):
            return False
        if not idempotent and not is_replay_safe(exc):
            return False
        return exc.retry_after is None or exc.retry_after <= settings.max_retry_after

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return exc.retry_after
        return backoff(state.attempt_number, settings)

    def before_sleep(state: RetryCallState) -> None:
        # The exception's message only: never the call's arguments, which hold the client.
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s; retrying in %.1f s (attempt %d of %d)",
            exc,
            state.upcoming_sleep,
            state.attempt_number,
            settings.max_attempts,
        )

    def give_up(state: RetryCallState) -> NoReturn:
        # Only TransientErrors pass `retryable`, so only they reach the stop condition.
        exc = cast(TransientError, state.outcome.exception() if state.outcome else None)
        attempts = state.attempt_number
        note = f"gave up after {attempts} attempt{'' if attempts == 1 else 's'}"
        raise annotate(exc, note) from exc

    retrying = AsyncRetrying(
        sleep=sleep,
        stop=stop_after_attempt(settings.max_attempts),
        wait=wait,
        retry=retry_if_exception(retryable),
        before_sleep=before_sleep,
        retry_error_callback=give_up,
        reraise=True,
    )
    response: httpx.Response = await retrying(attempt)
    return response


__all__ = ["IDEMPOTENT_METHODS", "backoff", "full_jitter", "send_with_retries"]
