"""send_with_retries: what is retried, how long it waits, and when it gives up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx

from itsmhub.errors import ConfigError, RateLimited, RecordError, TransientError
from itsmhub.http import GENERIC, HttpSettings, build_client, is_replay_safe, send_with_retries
from itsmhub_jira.dialect import JIRA
from itsmhub_okta.dialect import OKTA
from itsmhub_servicenow.dialect import SERVICENOW
from itsmhub_zendesk.dialect import ZENDESK

pytestmark = pytest.mark.anyio

BASE_URL = "https://acme.atlassian.net"
PATH = "/rest/api/3/issue/SUP-1"


async def _get(settings: HttpSettings, fake_time, method: str = "GET", dialect=GENERIC, **kwargs):
    async with build_client(settings, base_url=BASE_URL, dialect=dialect) as client:
        return await send_with_retries(
            client,
            method,
            PATH,
            settings=settings,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            **kwargs,
        )


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_429_with_retry_after_seconds_waits_exactly_that(settings, fake_time) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        route = router.get(PATH).mock(
            side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200)]
        )
        response = await _get(settings, fake_time)
    assert response.status_code == 200
    assert fake_time.sleeps == [3.0]
    assert route.call_count == 2


async def test_retry_after_as_http_date(settings, fake_time) -> None:
    when = datetime.fromtimestamp(fake_time.now + 7, UTC)
    headers = {"Retry-After": format_datetime(when, usegmt=True)}
    with respx.mock(base_url=BASE_URL) as router:
        router.get(PATH).mock(
            side_effect=[httpx.Response(429, headers=headers), httpx.Response(200)]
        )
        await _get(settings, fake_time)
    assert fake_time.sleeps == [7.0]


@pytest.mark.parametrize(
    ("vendor", "dialect", "headers"),
    [
        ("jira ISO-8601", JIRA, lambda now: {"X-RateLimit-Reset": _iso(now + 30)}),
        ("servicenow epoch", SERVICENOW, lambda now: {"X-RateLimit-Reset": str(int(now) + 30)}),
        ("okta epoch", OKTA, lambda now: {"X-Rate-Limit-Reset": str(int(now) + 30)}),
        ("zendesk delta", ZENDESK, lambda now: {"ratelimit-reset": "30"}),
    ],
)
async def test_429_without_retry_after_waits_for_the_reset_header(
    settings, fake_time, vendor, dialect, headers
) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        router.get(PATH).mock(
            side_effect=[httpx.Response(429, headers=headers(fake_time.now)), httpx.Response(200)]
        )
        await _get(settings, fake_time, dialect=dialect)
    assert fake_time.sleeps == [30.0], vendor


async def test_503_burst_then_200_backs_off_with_capped_full_jitter(fake_time) -> None:
    settings = HttpSettings(backoff_base=2.0, max_backoff=5.0)
    with respx.mock(base_url=BASE_URL) as router:
        route = router.get(PATH).mock(side_effect=[httpx.Response(503)] * 3 + [httpx.Response(200)])
        response = await _get(settings, fake_time)
    assert response.status_code == 200
    assert route.call_count == 4
    caps = [2.0, 4.0, 5.0]  # base * 2**(n-1), capped at max_backoff
    assert len(fake_time.sleeps) == 3
    assert all(0.0 <= slept <= cap for slept, cap in zip(fake_time.sleeps, caps, strict=True))


async def test_exhausting_attempts_raises_the_last_transient_error(fake_time, caplog) -> None:
    settings = HttpSettings(max_attempts=3)
    caplog.set_level(logging.WARNING, logger="itsmhub.http")
    with respx.mock(base_url=BASE_URL) as router:
        route = router.get(PATH).mock(return_value=httpx.Response(502))
        with pytest.raises(TransientError) as caught:
            await _get(settings, fake_time)
    assert route.call_count == 3
    assert len(fake_time.sleeps) == 2
    assert caught.value.status == 502
    assert "gave up after 3 attempts" in str(caught.value)
    assert "GET https://acme.atlassian.net/rest/api/3/issue/SUP-1" in str(caught.value)
    retry_logs = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retry_logs) == 2
    assert "(attempt 1 of 3)" in retry_logs[0]


async def test_a_long_retry_after_raises_rate_limited_without_sleeping(settings, fake_time) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        route = router.get(PATH).mock(
            return_value=httpx.Response(429, headers={"Retry-After": "3600"})
        )
        with pytest.raises(RateLimited) as caught:
            await _get(settings, fake_time)
    assert caught.value.retry_after == 3600
    assert fake_time.sleeps == []
    assert route.call_count == 1


async def test_a_retry_after_equal_to_the_cap_is_still_waited(fake_time) -> None:
    settings = HttpSettings(max_retry_after=10)
    with respx.mock(base_url=BASE_URL) as router:
        router.get(PATH).mock(
            side_effect=[httpx.Response(429, headers={"Retry-After": "10"}), httpx.Response(200)]
        )
        await _get(settings, fake_time)
    assert fake_time.sleeps == [10.0]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=type,
)
async def test_transport_failures_are_retried_for_idempotent_requests(
    settings, fake_time, failure
) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        route = router.get(PATH).mock(side_effect=[failure, httpx.Response(200)])
        response = await _get(settings, fake_time)
    assert response.status_code == 200
    assert route.call_count == 2
    assert len(fake_time.sleeps) == 1


async def test_a_dropped_connection_on_post_is_not_retried(settings, fake_time) -> None:
    # The vendor may have created the issue: only the outbox's marker search may re-send.
    with respx.mock(base_url=BASE_URL) as router:
        route = router.post(PATH).mock(
            side_effect=[httpx.RemoteProtocolError("dropped"), httpx.Response(201)]
        )
        with pytest.raises(TransientError) as caught:
            await _get(settings, fake_time, method="POST", json={"fields": {}})
    assert route.call_count == 1
    assert "may have applied this POST" in str(caught.value)
    assert not is_replay_safe(caught.value)
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)


@pytest.mark.parametrize(
    "first",
    [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(408),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
    ],
    ids=repr,
)
async def test_post_is_retried_when_the_vendor_certainly_did_not_act(
    settings, fake_time, first
) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        route = router.post(PATH).mock(side_effect=[first, httpx.Response(201)])
        response = await _get(settings, fake_time, method="POST", json={"fields": {}})
    assert response.status_code == 201
    assert route.call_count == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_post_with_an_unknown_outcome_is_not_retried(settings, fake_time, status) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        route = router.post(PATH).mock(return_value=httpx.Response(status))
        with pytest.raises(TransientError):
            await _get(settings, fake_time, method="POST", json={})
    assert route.call_count == 1


async def test_a_caller_can_vouch_for_an_idempotent_patch(settings, fake_time) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        route = router.patch(PATH).mock(side_effect=[httpx.Response(503), httpx.Response(200)])
        await _get(settings, fake_time, method="PATCH", idempotent=True, json={"state": "2"})
    assert route.call_count == 2


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
async def test_record_errors_are_not_retried(settings, fake_time, status) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        route = router.get(PATH).mock(return_value=httpx.Response(status))
        with pytest.raises(RecordError) as caught:
            await _get(settings, fake_time)
    assert route.call_count == 1
    assert caught.value.status == status
    assert fake_time.sleeps == []


async def test_401_is_a_config_error_and_not_retried(settings, fake_time) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        route = router.get(PATH).mock(
            return_value=httpx.Response(401, json={"errorMessages": ["Unauthorized"]})
        )
        with pytest.raises(ConfigError) as caught:
            await _get(settings, fake_time)
    assert route.call_count == 1
    assert caught.value.fix is not None
    assert "expired" in caught.value.fix


async def test_a_redirect_is_not_followed_and_is_an_error(settings, fake_time) -> None:
    target = "https://elsewhere.example/rest/api/3/issue/SUP-1?token=abc"
    with respx.mock(assert_all_called=False) as router:
        route = router.get(f"{BASE_URL}{PATH}").mock(
            return_value=httpx.Response(302, headers={"Location": target})
        )
        elsewhere = router.get(url__startswith="https://elsewhere.example")
        with pytest.raises(ConfigError) as caught:
            await _get(settings, fake_time)
    assert route.call_count == 1
    assert not elsewhere.called
    assert "elsewhere.example/rest/api/3/issue/SUP-1" in str(caught.value)
    assert "?token=abc" not in str(caught.value)
    assert "token=abc" not in str(caught.value)


async def test_overrides_turn_a_status_into_an_answer(settings, fake_time) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        router.get(PATH).mock(return_value=httpx.Response(404))
        response = await _get(settings, fake_time, overrides={404: None})
    assert response.status_code == 404


async def test_each_attempt_sends_the_same_body(settings, fake_time) -> None:
    with respx.mock(base_url=BASE_URL) as router:
        route = router.put(PATH).mock(side_effect=[httpx.Response(503), httpx.Response(204)])
        await _get(settings, fake_time, method="PUT", json={"fields": {"summary": "x"}})
    bodies = [call.request.content for call in route.calls]
    assert bodies[0] == bodies[1] == b'{"fields":{"summary":"x"}}'


async def test_a_single_attempt_budget_never_sleeps(fake_time) -> None:
    settings = HttpSettings(max_attempts=1)
    with respx.mock(base_url=BASE_URL) as router:
        router.get(PATH).mock(return_value=httpx.Response(503))
        with pytest.raises(TransientError, match=r"gave up after 1 attempt\)$"):
            await _get(settings, fake_time)
    assert fake_time.sleeps == []


async def test_giving_up_keeps_replay_safety_for_the_outbox(fake_time) -> None:
    # Every attempt failed before reaching the vendor: the outbox may re-send without the
    # marker search that an unknown outcome requires.
    settings = HttpSettings(max_attempts=2)
    with respx.mock(base_url=BASE_URL) as router:
        router.post(PATH).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(TransientError) as caught:
            await _get(settings, fake_time, method="POST", json={})
    assert "gave up after 2 attempts" in str(caught.value)
    assert is_replay_safe(caught.value)


async def test_an_answer_over_the_size_limit_is_refused_before_it_is_all_read(
    fake_time,
) -> None:
    settings = HttpSettings(max_response_bytes=4096)
    served = {"chunks": 0}

    async def endless() -> Any:
        for _ in range(1000):
            served["chunks"] += 1
            yield b"x" * 1024

    with respx.mock(base_url=BASE_URL) as router:
        router.get(PATH).mock(return_value=httpx.Response(200, stream=_Stream(endless())))
        with pytest.raises(ConfigError) as caught:
            await _get(settings, fake_time)
    assert caught.value.key == "http.max_response_bytes"
    assert "over 4,096 bytes" in str(caught.value) and caught.value.fix
    assert served["chunks"] < 10  # it stopped reading, it did not buffer a megabyte


async def test_a_declared_length_over_the_limit_is_refused_at_once(fake_time) -> None:
    settings = HttpSettings(max_response_bytes=2048)
    with respx.mock(base_url=BASE_URL) as router:
        router.get(PATH).respond(200, content=b"y" * 5000)
        with pytest.raises(ConfigError, match="over 2,048 bytes"):
            await _get(settings, fake_time)
        router.get("/small").respond(200, json={"ok": True})
        async with build_client(settings, base_url=BASE_URL) as client:
            answer = await send_with_retries(
                client, "GET", "/small", settings=settings, sleep=fake_time.sleep
            )
    assert answer.json() == {"ok": True}


class _Stream(httpx.AsyncByteStream):
    def __init__(self, chunks: Any) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> Any:
        async for chunk in self.chunks:
            yield chunk
