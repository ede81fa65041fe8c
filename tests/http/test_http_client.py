"""build_client's defaults, guards, hooks and pacing; and HttpSettings validation."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import certifi
import httpx
import pytest
import respx
from pydantic import ValidationError

from itsmhub.errors import ConfigError
from itsmhub.http import (
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT_CONFIG,
    DEFAULT_USER_AGENT,
    HttpSettings,
    RateLimitState,
    build_client,
)
from itsmhub_jira.dialect import JIRA
from itsmhub_okta.dialect import OKTA

BASE_URL = "https://acme.atlassian.net"


def _ssl_context(client: httpx.AsyncClient) -> ssl.SSLContext:
    # httpx keeps the context on its default transport's connection pool.
    return client._transport._pool._ssl_context  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_safe_defaults(settings: HttpSettings) -> None:
    async with build_client(settings, base_url=BASE_URL) as client:
        assert client.follow_redirects is False
        assert client.trust_env is False
        assert client.timeout == DEFAULT_TIMEOUT_CONFIG
        context = _ssl_context(client)
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname is True
        assert client.headers["User-Agent"] == DEFAULT_USER_AGENT
        assert client.headers["Accept"] == "application/json"


@pytest.mark.anyio
async def test_proxy_variables_are_ignored_unless_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://attacker.example:8080")
    async with build_client(HttpSettings(), base_url=BASE_URL) as client:
        assert not client._mounts  # type: ignore[attr-defined]
    async with build_client(HttpSettings(trust_env=True), base_url=BASE_URL) as client:
        assert client._mounts  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_an_explicit_proxy_is_used() -> None:
    settings = HttpSettings(proxy="http://proxy.internal:3128")
    async with build_client(settings, base_url=BASE_URL) as client:
        assert client._mounts  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_ca_bundle_builds_a_verifying_context() -> None:
    settings = HttpSettings(ca_bundle=Path(certifi.where()))
    async with build_client(settings, base_url=BASE_URL) as client:
        assert _ssl_context(client).verify_mode is ssl.CERT_REQUIRED


def test_an_unreadable_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate")
    with pytest.raises(ConfigError) as caught:
        build_client(HttpSettings(ca_bundle=bundle), base_url=BASE_URL)
    assert caught.value.key == "ca_bundle"


@pytest.mark.anyio
async def test_turning_verification_off_is_loud(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="itsmhub.http")
    async with build_client(HttpSettings(verify=False), base_url=BASE_URL) as client:
        assert _ssl_context(client).verify_mode is ssl.CERT_NONE
    assert any("verification is OFF" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "url",
    ["http://acme.atlassian.net", "ftp://acme.atlassian.net", "https://bob:pw@acme.atlassian.net"],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_client(HttpSettings(), base_url=url)
    assert caught.value.key == "base_url"
    assert "pw" not in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8001", "http://localhost:9000", "http://[::1]:80"]
)
async def test_plain_http_is_allowed_on_loopback_for_emulators(url: str) -> None:
    async with build_client(HttpSettings(), base_url=url) as client:
        assert client.base_url.scheme == "http"


@pytest.mark.anyio
async def test_an_injected_transport_serves_the_requests() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    transport = httpx.MockTransport(handler)
    async with build_client(
        HttpSettings(), base_url=BASE_URL, transport=transport, headers={"X-Extra": "1"}
    ) as client:
        response = await client.get("/rest/api/3/myself")
    assert response.json() == {"ok": True}
    assert seen[0].url == f"{BASE_URL}/rest/api/3/myself"
    assert seen[0].headers["X-Extra"] == "1"
    assert seen[0].headers["User-Agent"] == DEFAULT_USER_AGENT


@pytest.mark.anyio
async def test_one_log_line_per_response_without_query_or_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="itsmhub.http")
    with respx.mock(base_url=BASE_URL) as router:
        router.get("/rest/api/3/search/jql").mock(
            return_value=httpx.Response(
                200, headers={"X-AREQUESTID": "req-42", "X-RateLimit-Remaining": "77"}
            )
        )
        async with build_client(
            HttpSettings(), base_url=BASE_URL, auth=("a@b.c", "pw-1234"), dialect=JIRA
        ) as c:
            await c.get("/rest/api/3/search/jql", params={"jql": "project = SUP"})
    lines = [r for r in caplog.records if r.name == "itsmhub.http"]
    assert len(lines) == 1
    message = lines[0].getMessage()
    assert message.startswith("GET acme.atlassian.net/rest/api/3/search/jql -> 200 in ")
    assert "request-id=req-42" in message
    assert "ratelimit-remaining=77" in message
    assert "project" not in message
    assert "Basic" not in message
    assert lines[0].levelno == logging.DEBUG
    assert lines[0].http_status == 200  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_user_event_hooks_run_after_ours() -> None:
    calls: list[str] = []

    async def on_request(request: httpx.Request) -> None:
        calls.append("request")

    async def on_response(response: httpx.Response) -> None:
        calls.append("response")

    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    hooks = {"request": [on_request], "response": [on_response]}
    async with build_client(
        HttpSettings(), base_url=BASE_URL, transport=transport, event_hooks=hooks
    ) as client:
        await client.get("/x")
    assert calls == ["request", "response"]


def test_unknown_event_hook_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown event hook"):
        build_client(HttpSettings(), base_url=BASE_URL, event_hooks={"reqest": []})


@pytest.mark.anyio
async def test_a_pacer_delays_the_request_after_an_exhausted_budget(fake_time) -> None:
    reset = str(int(fake_time.now) + 5)
    responses = iter(
        [
            httpx.Response(
                200, headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": reset}
            ),
            httpx.Response(200, headers={"X-Rate-Limit-Remaining": "599"}),
        ]
    )
    transport = httpx.MockTransport(lambda request: next(responses))
    pacer = RateLimitState(clock=fake_time.clock, sleep=fake_time.sleep, dialect=OKTA)
    async with build_client(
        HttpSettings(), base_url="https://acme.okta.com", transport=transport, pacer=pacer
    ) as client:
        await client.get("/api/v1/users")
        assert fake_time.sleeps == []
        await client.get("/api/v1/users")
    assert fake_time.sleeps == [5.0]


def test_settings_defaults_match_the_named_constants() -> None:
    settings = HttpSettings()
    assert settings.timeout == DEFAULT_TIMEOUT_CONFIG
    assert settings.limits.max_connections == DEFAULT_LIMITS.max_connections
    assert settings.limits.max_keepalive_connections == DEFAULT_LIMITS.max_keepalive_connections
    assert (settings.max_attempts, settings.max_backoff, settings.max_retry_after) == (5, 60, 120)
    assert (settings.verify, settings.trust_env, settings.proxy) == (True, False, None)


@pytest.mark.parametrize(
    "bad",
    [
        {"unknown_key": 1},
        {"read_timeout": 0},
        {"max_attempts": 0},
        {"max_keepalive": 20, "max_connections": 10},
        {"verify": False, "ca_bundle": certifi.where()},
        {"ca_bundle": "/no/such/file.pem"},
        {"proxy": "http://user:secret@proxy:3128"},
        {"proxy": "socks5://proxy:1080"},
        {"user_agent": "itsmhub\r\nX-Injected: 1"},
    ],
    ids=repr,
)
def test_settings_refuse_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HttpSettings(**bad)  # type: ignore[arg-type]


def test_settings_errors_never_echo_proxy_credentials() -> None:
    with pytest.raises(ValidationError) as caught:
        HttpSettings(proxy="http://user:pr0xy-secret@proxy:3128")
    assert "credentials" in str(caught.value)
    assert "pr0xy-secret" not in str(caught.value)
