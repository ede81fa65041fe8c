"""The Okta client with respx: the SSWS header, ``Link`` paging, Okta's rate-limit
headers before and after a 429, broken answers; and the private_key_jwt sign-in against
the emulator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from itsmhub import ConnectorContext, FatalError, HttpSettings, RateLimited, TransientError
from itsmhub.testing import RecordingSleep
from itsmhub_okta.auth import load_private_key
from itsmhub_okta.client import OktaClient, rate_budgets
from itsmhub_okta.emulator import Org, build_app
from itsmhub_okta.settings import OktaSettings

pytestmark = pytest.mark.anyio
BASE = "https://acme.okta.com"
NOW = 1_772_000_000.0


def okta_settings(**auth: Any) -> OktaSettings:
    data = {
        "type": "okta",
        "org_url": BASE,
        "auth": auth or {"method": "api_token", "token": "env:OKTA_TOKEN"},
    }
    return OktaSettings.model_validate(data, context={"config_dir": "."})


def client(sleep: RecordingSleep, secret: str = "tok-123", **kwargs: Any) -> OktaClient:
    from datetime import UTC, datetime

    context = ConnectorContext(
        http=HttpSettings(max_attempts=3),
        resolve_secret=lambda ref: SecretStr(secret),
        clock=lambda: datetime.fromtimestamp(NOW, UTC),
    )
    return OktaClient(okta_settings(), context, sleep=sleep, budgets=[], **kwargs)


@pytest.fixture
def okta() -> respx.MockRouter:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


async def test_pages_follow_the_next_link_with_the_ssws_header(okta) -> None:
    # The more specific route first: respx matches params by inclusion.
    second = okta.get("/api/v1/users", params={"after": "2", "limit": "2"}).mock(
        return_value=httpx.Response(200, json=[{"id": "3"}])
    )
    first = okta.get("/api/v1/users", params={"limit": "2"}).mock(
        return_value=httpx.Response(
            200,
            json=[{"id": "1"}, {"id": "2"}],
            headers=[
                ("Link", f'<{BASE}/api/v1/users?limit=2>; rel="self"'),
                ("Link", f'<{BASE}/api/v1/users?after=2&limit=2>; rel="next"'),
            ],
        )
    )
    sleep = RecordingSleep()
    okta_client = client(sleep)
    pages = [p async for p in okta_client.pages("/api/v1/users", {"limit": 2}, "users")]
    await okta_client.aclose()
    assert [[u["id"] for u in p.items] for p in pages] == [["1", "2"], ["3"]]
    assert first.calls.last.request.headers["Authorization"] == "SSWS tok-123"
    assert second.called


async def test_a_next_link_on_another_host_is_not_followed(okta) -> None:
    okta.get("/api/v1/users").mock(
        return_value=httpx.Response(
            200,
            json=[],
            headers={"Link": '<https://evil.example/api/v1/users?after=x>; rel="next"'},
        )
    )
    okta_client = client(RecordingSleep())
    with pytest.raises(FatalError, match="another host"):
        await okta_client.page("/api/v1/users")
    await okta_client.aclose()


async def test_a_repeated_cursor_stops_instead_of_looping(okta) -> None:
    okta.get("/api/v1/groups").mock(
        return_value=httpx.Response(
            200, json=[], headers={"Link": f'<{BASE}/api/v1/groups?after=same>; rel="next"'}
        )
    )
    okta_client = client(RecordingSleep())
    with pytest.raises(FatalError, match="same page"):
        async for _ in okta_client.pages("/api/v1/groups", {"limit": 1}, "groups"):
            pass
    await okta_client.aclose()


async def test_a_429_waits_until_okta_s_reset_then_succeeds(okta) -> None:
    limited = httpx.Response(
        429,
        json={"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit"},
        headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(int(NOW) + 7)},
    )
    route = okta.get("/api/v1/logs").mock(side_effect=[limited, httpx.Response(200, json=[])])
    sleep = RecordingSleep()
    okta_client = client(sleep)
    await okta_client.page("/api/v1/logs")
    await okta_client.aclose()
    assert route.call_count == 2 and 7.0 in sleep.calls


async def test_a_long_reset_is_handed_to_the_engine(okta) -> None:
    okta.get("/api/v1/logs").mock(
        return_value=httpx.Response(
            429,
            json={"errorCode": "E0000047"},
            headers={"X-Rate-Limit-Reset": str(int(NOW) + 3600)},
        )
    )
    okta_client = client(RecordingSleep())
    with pytest.raises(RateLimited) as info:
        await okta_client.page("/api/v1/logs")
    await okta_client.aclose()
    assert info.value.retry_after == 3600


async def test_a_spent_bucket_pauses_the_next_request_before_a_429(okta) -> None:
    spent = {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0"}
    spent["X-Rate-Limit-Reset"] = str(int(NOW) + 5)
    okta.get("/api/v1/users").mock(return_value=httpx.Response(200, json=[], headers=spent))
    sleep = RecordingSleep()
    okta_client = client(sleep)
    await okta_client.page("/api/v1/users")
    assert sleep.calls == []
    await okta_client.page("/api/v1/users")
    await okta_client.aclose()
    assert sleep.calls == [5.0]


async def test_a_broken_body_is_a_transient_error_that_names_no_content(okta) -> None:
    okta.get("/api/v1/users").mock(return_value=httpx.Response(200, text="<html>secret</html>"))
    okta_client = client(RecordingSleep())
    with pytest.raises(TransientError) as info:
        await okta_client.page("/api/v1/users")
    await okta_client.aclose()
    assert "not a JSON list" in str(info.value) and "secret" not in str(info.value)


def test_budgets_follow_the_settings() -> None:
    budgets = {b.name: (b.requests, b.path) for b in rate_budgets(okta_settings())}
    assert budgets["okta users"] == (600, "/api/v1/users")
    assert budgets["okta logs"] == (50, "/api/v1/logs")
    none = okta_settings().model_copy(
        update={"rate_limits": okta_settings().rate_limits.model_copy(update={"logs": 0})}
    )
    assert "okta logs" not in {b.name for b in rate_budgets(none)}


async def test_a_service_app_signs_in_with_private_key_jwt(clock) -> None:
    from itsmhub_okta.connector import OktaConnector

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    org = Org(clock=clock, service_app_keys={"0oaservice": key.public_key()})
    settings = okta_settings(method="oauth", client_id="0oaservice", private_key="env:KEY")
    context = ConnectorContext(
        http=HttpSettings(),
        resolve_secret=lambda ref: SecretStr(pem),
        transport=httpx.ASGITransport(app=build_app(org)),
        clock=clock,
    )
    async with OktaConnector("okta", settings, context) as connector:
        result = await connector.check()
    assert result.ok, result.items
    assert org.controls.calls["POST /oauth2/v1/token"] == 1  # one token for every call
    assert len(org.assertions_seen) == 1


def test_a_key_that_cannot_be_read_names_the_setting() -> None:
    from itsmhub import ConfigError

    with pytest.raises(ConfigError) as info:
        load_private_key("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----")
    assert info.value.key == "auth.private_key"
