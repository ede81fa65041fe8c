"""Read rate-limit headers, and pace requests before the vendor has to say no.

Which headers a vendor sends is its plugin's :class:`~itsmhub.http.VendorDialect`; the
generic ones (``Retry-After``, ``X-RateLimit-*``, the IETF draft's ``RateLimit-*``) are
always read. A reset value may be UNIX epoch seconds, seconds from now, or ISO-8601.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import anyio
import httpx

from .dialect import GENERIC, VendorDialect

Clock = Callable[[], float]
"""Wall-clock seconds since the epoch (``time.time``): reset headers are absolute times."""
Sleep = Callable[[float], Awaitable[None]]

RETRY_AFTER_HEADER = "Retry-After"

# A numeric reset above this is a UNIX timestamp (after 2001-09-09); below, seconds from now.
_EPOCH_THRESHOLD = 1_000_000_000


def _finite(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_retry_after(value: str, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or HTTP-date); ``None`` if
    unparseable. A date in the past means "now" (0)."""
    value = value.strip()
    seconds = _finite(value)
    if seconds is not None:
        return seconds if seconds >= 0 else None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, _as_utc(moment).timestamp() - now)


def parse_reset(value: str, now: float) -> float | None:
    """Seconds until a rate-limit window resets, from epoch seconds, a delta, or ISO-8601."""
    value = value.strip()
    number = _finite(value)
    if number is not None:
        if number < 0:
            return None
        return max(0.0, number - now) if number >= _EPOCH_THRESHOLD else number
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return max(0.0, _as_utc(moment).timestamp() - now)


def _endpoint_limits(headers: httpx.Headers, prefix: str | None) -> list[dict[str, str]]:
    """Per-endpoint budgets: ``<prefix><endpoint>: total=100; remaining=99; resets=41``."""
    found: list[dict[str, str]] = []
    if not prefix:
        return found
    for name, value in headers.multi_items():
        if name.lower().startswith(prefix.lower()):
            pairs = (part.split("=", 1) for part in value.split(";") if "=" in part)
            found.append({key.strip().lower(): val.strip() for key, val in pairs})
    return found


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What one response says about the remaining budget (most restrictive reading)."""

    remaining: int | None = None
    reset_after: float | None = None
    near_limit: bool = False
    reason: str | None = None

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


def read_rate_limit(
    headers: httpx.Headers, now: float, dialect: VendorDialect = GENERIC
) -> RateLimitInfo:
    """Collect remaining budget and reset time from every header family the vendor sends."""
    remaining: list[float] = []
    resets: list[float] = []
    for name in dialect.all_remaining_headers():
        if (value := headers.get(name)) is not None and (number := _finite(value)) is not None:
            remaining.append(number)
    for name in dialect.all_reset_headers():
        if (value := headers.get(name)) is not None and (
            seconds := parse_reset(value, now)
        ) is not None:
            resets.append(seconds)
    for limit in _endpoint_limits(headers, dialect.endpoint_limit_prefix):
        if (number := _finite(limit.get("remaining", ""))) is not None:
            remaining.append(number)
        if (number := _finite(limit.get("resets", ""))) is not None and number >= 0:
            resets.append(number)
    return RateLimitInfo(
        remaining=int(min(remaining)) if remaining else None,
        # Several windows may apply at once; waiting for the latest reset is the safe reading.
        reset_after=max(resets) if resets else None,
        near_limit=bool(dialect.near_limit_header)
        and headers.get(dialect.near_limit_header or "", "").strip().lower() == "true",
        reason=headers.get(dialect.reason_header) if dialect.reason_header else None,
    )


def retry_after_from(
    headers: httpx.Headers,
    now: float,
    *,
    rate_limited: bool,
    dialect: VendorDialect = GENERIC,
) -> float | None:
    """How long the vendor asked us to wait: ``Retry-After`` first, then (only for a 429 or
    an exhausted budget) the reset headers. ``None`` means "not said": back off instead.

    Reset headers alone are not a reason to wait on, say, a 503: ServiceNow sends its hourly
    window's reset on every response, and waiting an hour for a blip would be wrong.
    """
    if (value := headers.get(RETRY_AFTER_HEADER)) is not None and (
        seconds := parse_retry_after(value, now)
    ) is not None:
        return seconds
    info = read_rate_limit(headers, now, dialect)
    if rate_limited or info.exhausted:
        return info.reset_after
    return None


class RateLimitState:
    """Proactive pacing for one client: pause before the next request when the last
    responses said the budget is spent (until the reset) or nearly spent (a short breath).

    Pauses are absolute times, so a retry that already slept through them does not wait
    twice, and they only ever grow: a late response from a concurrent request cannot cut
    short a pause that a newer one asked for. Every pause is capped by ``max_delay``: past
    that, the request goes out, and the vendor's 429 with ``Retry-After`` takes over.
    """

    def __init__(
        self,
        *,
        max_delay: float = 60.0,
        near_limit_delay: float = 1.0,
        clock: Clock = time.time,
        sleep: Sleep = anyio.sleep,
        dialect: VendorDialect = GENERIC,
    ) -> None:
        self.dialect = dialect
        self.max_delay = max_delay
        self.near_limit_delay = near_limit_delay
        self._clock = clock
        self._sleep = sleep
        self._resume_at = 0.0
        self.last: RateLimitInfo = RateLimitInfo()

    def observe(self, response: httpx.Response) -> None:
        """Update the pause from ``response``'s headers."""
        now = self._clock()
        info = read_rate_limit(response.headers, now, self.dialect)
        self.last = info
        pause = retry_after_from(
            response.headers,
            now,
            rate_limited=response.status_code == httpx.codes.TOO_MANY_REQUESTS,
            dialect=self.dialect,
        )
        if pause is None and info.exhausted:
            pause = self.near_limit_delay  # spent, reset unknown: the vendor's 429 will say
        if pause is None and info.near_limit:
            pause = min(self.near_limit_delay, info.reset_after or math.inf)
        if pause is not None:
            self._resume_at = max(self._resume_at, now + pause)

    def delay(self) -> float:
        """Seconds the next request should wait (0 when free to go)."""
        return min(self.max_delay, max(0.0, self._resume_at - self._clock()))

    async def wait(self) -> float:
        """Sleep for :meth:`delay`; return how long that was."""
        seconds = self.delay()
        if seconds > 0:
            await self._sleep(seconds)
        return seconds


__all__ = [
    "Clock",
    "RateLimitInfo",
    "RateLimitState",
    "Sleep",
    "parse_reset",
    "parse_retry_after",
    "read_rate_limit",
    "retry_after_from",
]
