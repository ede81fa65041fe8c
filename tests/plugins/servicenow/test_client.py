"""The ServiceNow client against respx: auth, headers, list parsing, errors, batch."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from itsmhub import (
    ConfigError,
    ConnectorContext,
    HttpSettings,
    RateLimited,
    RecordError,
    SecretRef,
    TransientError,
)
from itsmhub_servicenow.client import BatchRequest, ServiceNowClient
from itsmhub_servicenow.settings import ServiceNowSettings

BASE = "https://acme.service-now.com"
SECRETS = {"PW": "hunter2", "CS": "client-secret"}


class Sleeps:
    """An injected sleep that only records the waits asked for."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def snow_client(
    auth: dict[str, Any], sleeps: Sleeps | None = None, clock: Clock | None = None
) -> ServiceNowClient:
    settings = ServiceNowSettings.model_validate(
        {"instance_url": BASE, "auth": auth}, context={"config_dir": "."}
    )
    context = ConnectorContext(
        http=HttpSettings(),
        resolve_secret=lambda ref: SecretStr(SECRETS[SecretRef.model_validate(ref).target]),
        clock=clock or Clock(),
    )
    return ServiceNowClient(settings, context, sleep=sleeps or Sleeps())


BASIC = {"method": "basic", "username": "itsmhub", "password": "env:PW"}
OAUTH = {
    "method": "oauth",
    "grant": "password",
    "client_id": "cid",
    "client_secret": "env:CS",
    "username": "itsmhub",
    "password": "env:PW",
}


def token(access: str, refresh: str = "r1", expires_in: int = 1799) -> httpx.Response:
    body = {"access_token": access, "refresh_token": refresh, "expires_in": expires_in}
    return httpx.Response(200, json=body | {"token_type": "Bearer", "scope": "useraccount"})


@pytest.mark.anyio
async def test_list_sends_the_query_and_reads_link_and_total() -> None:
    link = (
        f'<{BASE}/api/now/table/incident?sysparm_offset=0&sysparm_limit=2>;rel="first",'
        f'<{BASE}/api/now/table/incident?sysparm_offset=2&sysparm_limit=2>;rel="next"'
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get("/api/now/table/incident").respond(
            200,
            json={"result": [{"sys_id": "a"}, {"sys_id": "b"}]},
            headers={"Link": link, "X-Total-Count": "5"},
        )
        client = snow_client(BASIC)
        page = await client.list("incident", "active=true", ["sys_id", "number"], limit=2)
        await client.aclose()
    assert [row["sys_id"] for row in page.rows] == ["a", "b"]
    assert page.total == 5
    assert page.links["next"].endswith("sysparm_offset=2&sysparm_limit=2")
    request = route.calls.last.request
    assert dict(request.url.params) == {
        "sysparm_query": "active=true",
        "sysparm_limit": "2",
        "sysparm_exclude_reference_link": "true",
        "sysparm_fields": "sys_id,number",
    }
    assert request.headers["Accept"] == "application/json"
    expected = base64.b64encode(b"itsmhub:hunter2").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


@pytest.mark.anyio
async def test_writes_carry_content_type_and_a_v1_empty_list_is_empty() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/now/table/problem").respond(
            404, json={"error": {"message": "No Record found"}, "status": "failure"}
        )
        post = router.post("/api/now/table/incident").respond(201, json={"result": {"sys_id": "n"}})
        client = snow_client(BASIC)
        assert (await client.list("problem", "", [], limit=1)).rows == []
        assert await client.create("incident", {"short_description": "x"}) == {"sys_id": "n"}
        await client.aclose()
    sent = post.calls.last.request
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.content) == {"short_description": "x"}


@pytest.mark.anyio
async def test_401_is_a_config_error_and_400_a_record_error() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/now/table/incident").respond(
            401, json={"error": {"message": "User Not Authenticated"}, "status": "failure"}
        )
        router.patch("/api/now/table/incident/abc").respond(
            400, json={"error": {"message": "Invalid state"}, "status": "failure"}
        )
        client = snow_client(BASIC)
        with pytest.raises(ConfigError, match="User Not Authenticated"):
            await client.list("incident", "", [], limit=1)
        with pytest.raises(RecordError, match="Invalid state"):
            await client.patch("incident", "abc", {"state": "99"})
        await client.aclose()


@pytest.mark.anyio
async def test_429_is_retried_after_the_wait_the_instance_asks_for() -> None:
    sleeps = Sleeps()
    limited = httpx.Response(
        429,
        headers={"Retry-After": "7"},
        json={"error": {"message": "Rate limit exceeded"}, "status": "failure"},
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get("/api/now/table/incident/abc")
        route.side_effect = [limited, httpx.Response(200, json={"result": {"sys_id": "abc"}})]
        client = snow_client(BASIC, sleeps)
        assert await client.get("incident", "abc") == {"sys_id": "abc"}
        await client.aclose()
    assert route.call_count == 2
    assert sleeps.waits == [7.0]


@pytest.mark.anyio
async def test_a_long_retry_after_goes_up_as_rate_limited() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/now/table/incident/abc").respond(429, headers={"Retry-After": "3600"})
        client = snow_client(BASIC)
        with pytest.raises(RateLimited) as info:
            await client.get("incident", "abc")
        await client.aclose()
    assert info.value.retry_after == 3600


@pytest.mark.anyio
async def test_oauth_fetches_caches_refreshes_and_reauthenticates_on_401() -> None:
    clock = Clock()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        tokens = router.post("/oauth_token.do")
        tokens.side_effect = [token("t1"), token("t2", "r2"), token("t3", "r3")]
        table = router.get("/api/now/table/incident/abc")
        ok = httpx.Response(200, json={"result": {"sys_id": "abc"}})
        table.side_effect = [ok, ok, httpx.Response(401), ok]
        client = snow_client(OAUTH, clock=clock)
        await client.get("incident", "abc")
        await client.get("incident", "abc")  # the cached token
        clock.now += timedelta(hours=1)  # expired: refreshed
        await client.get("incident", "abc")  # 401 once: a new token, then the retry
        await client.aclose()
    forms = [dict(httpx.QueryParams(call.request.content.decode())) for call in tokens.calls]
    assert forms[0] == {
        "grant_type": "password",
        "client_id": "cid",
        "client_secret": "client-secret",
        "username": "itsmhub",
        "password": "hunter2",
    }
    assert forms[1]["grant_type"] == "refresh_token" and forms[1]["refresh_token"] == "r1"
    assert forms[2]["grant_type"] == "refresh_token" and forms[2]["refresh_token"] == "r2"
    bearers = [call.request.headers["Authorization"] for call in table.calls]
    assert bearers == ["Bearer t1", "Bearer t1", "Bearer t2", "Bearer t3"]


@pytest.mark.anyio
async def test_oauth_tokens_are_masked_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    from itsmhub.http.redact import install_redaction

    install_redaction("itsmhub")
    caplog.set_level("DEBUG", logger="itsmhub")
    with respx.mock(base_url=BASE) as router:
        router.post("/oauth_token.do").mock(return_value=token("canary-access-7f1", "canary-r-7f1"))
        router.get("/api/now/table/incident/abc").respond(200, json={"result": {"sys_id": "a"}})
        client = snow_client(OAUTH, clock=Clock())
        await client.get("incident", "abc")
        await client.aclose()
    logging.getLogger("itsmhub.test").warning("echoed: canary-access-7f1 canary-r-7f1")
    assert "canary-access-7f1" not in caplog.text and "canary-r-7f1" not in caplog.text


@pytest.mark.anyio
async def test_a_refused_oauth_grant_is_a_config_error() -> None:
    auth = {
        "method": "oauth",
        "grant": "client_credentials",
        "client_id": "c",
        "client_secret": "env:CS",
    }
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post("/oauth_token.do").respond(401, json={"error": "access_denied"})
        client = snow_client(auth)
        with pytest.raises(ConfigError, match="refused the OAuth client_credentials grant"):
            await client.get("incident", "abc")
        await client.aclose()


@pytest.mark.anyio
async def test_batch_encodes_and_decodes_base64_bodies() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        [item] = sent["rest_requests"]
        assert item["url"] == "/api/now/table/incident"
        assert json.loads(base64.b64decode(item["body"])) == {"short_description": "x"}
        body = base64.b64encode(json.dumps({"result": {"sys_id": "n"}}).encode()).decode()
        return httpx.Response(
            200,
            json={
                "batch_request_id": "1",
                "serviced_requests": [{"id": "1", "status_code": 201, "body": body}],
                "unserviced_requests": ["2"],
            },
        )

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post("/api/now/v1/batch").mock(side_effect=answer)
        client = snow_client(BASIC)
        out = await client.batch(
            [BatchRequest("1", "POST", "/api/now/table/incident", {"short_description": "x"})]
        )
        await client.aclose()
    assert [(r.id, r.status, r.body) for r in out] == [
        ("1", 201, {"result": {"sys_id": "n"}}),
        ("2", 0, None),
    ]


@pytest.mark.anyio
async def test_a_404_other_than_no_record_found_is_an_error() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/now/table/incidnet").respond(
            404, json={"error": {"message": "Invalid table incidnet"}, "status": "failure"}
        )
        client = snow_client(BASIC)
        with pytest.raises(RecordError, match="Invalid table"):
            await client.list("incidnet", "", [], limit=1)
        await client.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"batch_request_id": "1", "serviced_requ', "application/json"),
        (b"<html><body>Service Unavailable</body></html>", "text/html"),
        (b"[]", "application/json"),
        (
            b'{"serviced_requests": [{"id": "1", "body": "not base64!", "status_code": 200}]}',
            "application/json",
        ),
    ],
    ids=["truncated", "html", "a-list", "bad-item"],
)
async def test_a_malformed_batch_answer_is_a_transient_error_not_a_crash(
    content: bytes, content_type: str
) -> None:
    """A 200 whose body is not the Batch API's JSON (a proxy's page, a cut connection)
    is an error the engine settles per row, never JSONDecodeError or AttributeError."""
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post("/api/now/v1/batch").respond(
            200, content=content, headers={"Content-Type": content_type}
        )
        client = snow_client(BASIC)
        with pytest.raises(TransientError, match="not the Table API's JSON") as info:
            await client.batch([BatchRequest("1", "PATCH", "/api/now/table/incident/x", {})])
        await client.aclose()
    assert content.decode(errors="replace")[:20] not in str(info.value)  # no body quoted


@pytest.mark.anyio
async def test_a_malformed_patch_answer_is_one_rows_transient_error() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.patch("/api/now/table/incident/x").respond(200, text="<html>oops</html>")
        client = snow_client(BASIC)
        with pytest.raises(TransientError):
            await client.patch("incident", "x", {"work_notes": "hi"})
        await client.aclose()
