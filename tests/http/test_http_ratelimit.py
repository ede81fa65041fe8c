"""Rate-limit header parsing and the proactive pacer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from itsmhub.http import (
    GENERIC,
    RateLimitState,
    parse_reset,
    parse_retry_after,
    read_rate_limit,
    retry_after_from,
)
from itsmhub_jira.dialect import JIRA
from itsmhub_okta.dialect import OKTA
from itsmhub_zendesk.dialect import ZENDESK

NOW = 1_779_999_960.0  # on a whole minute, like Jira's "2026-03-26T16:00Z" resets
NOW_DT = datetime.fromtimestamp(NOW, UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
        (format_datetime(NOW_DT + timedelta(seconds=42), usegmt=True), 42.0),
        (format_datetime(NOW_DT - timedelta(seconds=42), usegmt=True), 0.0),
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (str(int(NOW) + 30), 30.0),  # ServiceNow / Okta: epoch seconds
        (str(int(NOW) - 30), 0.0),  # a reset already past
        ("41", 41.0),  # Zendesk ratelimit-reset: seconds from now
        ((NOW_DT + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%MZ"), 300.0),  # Jira
        ((NOW_DT + timedelta(seconds=9)).isoformat(), 9.0),
        ((NOW_DT + timedelta(seconds=9)).replace(tzinfo=None).isoformat(), 9.0),  # naive = UTC
        ("-5", None),
        ("tomorrow", None),
    ],
)
def test_parse_reset(value: str, expected: float | None) -> None:
    assert parse_reset(value, NOW) == expected


def test_read_jira_headers() -> None:
    headers = httpx.Headers(
        {
            "X-RateLimit-Remaining": "12",
            "X-RateLimit-Reset": (NOW_DT + timedelta(seconds=60)).isoformat(),
            "X-RateLimit-NearLimit": "true",
            "RateLimit-Reason": "jira-burst-based",
        }
    )
    info = read_rate_limit(headers, NOW, JIRA)
    assert (info.remaining, info.reset_after, info.near_limit, info.reason) == (
        12,
        60.0,
        True,
        "jira-burst-based",
    )


def test_read_okta_headers() -> None:
    headers = httpx.Headers(
        {
            "X-Rate-Limit-Limit": "600",
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": str(int(NOW) + 20),
        }
    )
    info = read_rate_limit(headers, NOW, OKTA)
    assert info.exhausted
    assert info.reset_after == 20.0


def test_read_zendesk_headers_takes_the_most_restrictive_budget() -> None:
    headers = httpx.Headers(
        {
            "X-Rate-Limit-Remaining": "650",
            "ratelimit-remaining": "99",
            "ratelimit-reset": "41",
            "zendesk-ratelimit-tickets-index": "total=100; remaining=3; resets=50",
        }
    )
    info = read_rate_limit(headers, NOW, ZENDESK)
    assert info.remaining == 3
    assert info.reset_after == 50.0


def test_a_vendor_header_is_read_only_with_its_dialect() -> None:
    headers = httpx.Headers({"X-Rate-Limit-Remaining": "0", "X-RateLimit-NearLimit": "true"})
    assert read_rate_limit(headers, NOW, GENERIC).remaining is None
    assert not read_rate_limit(headers, NOW, GENERIC).near_limit
    assert read_rate_limit(headers, NOW, OKTA).remaining == 0
    assert read_rate_limit(headers, NOW, JIRA).near_limit


def test_no_headers_means_nothing_known() -> None:
    info = read_rate_limit(httpx.Headers(), NOW)
    assert (info.remaining, info.reset_after, info.near_limit, info.exhausted) == (
        None,
        None,
        False,
        False,
    )


def test_retry_after_wins_over_reset_headers() -> None:
    headers = httpx.Headers({"Retry-After": "5", "X-RateLimit-Reset": str(int(NOW) + 90)})
    assert retry_after_from(headers, NOW, rate_limited=True) == 5.0


def test_unparseable_retry_after_falls_back_to_reset() -> None:
    headers = httpx.Headers({"Retry-After": "later", "X-RateLimit-Reset": str(int(NOW) + 90)})
    assert retry_after_from(headers, NOW, rate_limited=True) == 90.0
    assert retry_after_from(headers, NOW, rate_limited=False) is None


def _response(status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers={k.replace("_", "-"): v for k, v in headers.items()})


@pytest.mark.anyio
async def test_pacer_waits_until_reset_when_the_budget_is_spent(fake_time) -> None:
    pacer = RateLimitState(clock=fake_time.clock, sleep=fake_time.sleep, dialect=OKTA)
    pacer.observe(
        _response(X_Rate_Limit_Remaining="0", X_Rate_Limit_Reset=str(int(fake_time.now) + 7))
    )
    assert pacer.delay() == 7.0
    assert await pacer.wait() == 7.0
    assert fake_time.sleeps == [7.0]
    assert pacer.delay() == 0.0
    assert await pacer.wait() == 0.0
    assert fake_time.sleeps == [7.0]


def test_pacer_breathes_briefly_near_the_limit(fake_time) -> None:
    pacer = RateLimitState(near_limit_delay=0.5, clock=fake_time.clock, dialect=JIRA)
    pacer.observe(_response(X_RateLimit_NearLimit="true", X_RateLimit_Remaining="40"))
    assert pacer.delay() == 0.5


def test_pacer_is_bounded(fake_time) -> None:
    pacer = RateLimitState(max_delay=10.0, clock=fake_time.clock)
    pacer.observe(
        _response(X_RateLimit_Remaining="0", X_RateLimit_Reset=str(int(fake_time.now) + 3600))
    )
    assert pacer.delay() == 10.0


def test_pacer_honours_a_429_retry_after(fake_time) -> None:
    pacer = RateLimitState(clock=fake_time.clock)
    pacer.observe(_response(429, Retry_After="4"))
    assert pacer.delay() == 4.0


def test_pacer_never_shortens_a_pause(fake_time) -> None:
    pacer = RateLimitState(clock=fake_time.clock)
    pacer.observe(_response(X_RateLimit_Remaining="0", RateLimit_Reset="30"))
    pacer.observe(_response(X_RateLimit_Remaining="50"))  # a late answer to an older request
    assert pacer.delay() == 30.0


def test_pacer_ignores_a_healthy_budget(fake_time) -> None:
    pacer = RateLimitState(clock=fake_time.clock)
    pacer.observe(
        _response(X_RateLimit_Remaining="500", X_RateLimit_Reset=str(int(fake_time.now) + 60))
    )
    assert pacer.delay() == 0.0
    assert pacer.last.remaining == 500
