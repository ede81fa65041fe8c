"""The Okta emulator on its own: search and filter, paging, System Log polling, rate
limits with Okta's headers, errors, service-app tokens and event hooks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from itsmhub.emulation import RateLimitRule
from itsmhub_okta.emulator import OktaEmulator, Org, build_app, deliver_events, seed_org
from itsmhub_okta.emulator.query import InvalidQuery, parse

pytestmark = pytest.mark.anyio
SSWS = {"Authorization": "SSWS 00emulator-api-token"}


@pytest.fixture
async def http(org: Org, checked) -> AsyncIterator[httpx.AsyncClient]:
    transport = checked.checking(httpx.ASGITransport(app=build_app(org)))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://acme.okta.com", headers=SSWS
    ) as client:
        yield client


def test_the_expression_parser_reads_okta_search_and_filter() -> None:
    user = {"id": "00u1", "status": "ACTIVE", "profile": {"email": "Ada@X.example", "title": ""}}
    assert parse('profile.email eq "ada@x.example"')(user)
    assert parse('status eq "SUSPENDED" or (id eq "00u1" and profile.email sw "ada")')(user)
    assert not parse('status eq "ACTIVE" and profile.title pr')(user)
    assert parse('lastUpdated lt "2026-01-01T00:00:00.000Z"')(
        {"lastUpdated": "2025-12-31T23:00:00Z"}
    )
    for bad in ("profile.email eq", 'status xx "A"', '(status eq "A"', 'status eq "A" foo'):
        with pytest.raises(InvalidQuery):
            parse(bad)
    with pytest.raises(InvalidQuery, match="cannot be used"):
        parse('profile.department eq "IT"', allowed=("status",))


async def test_users_search_filter_and_the_plain_list(org: Org, http) -> None:
    seed_org(org, 1, people=12, devices=False)
    gone = next(u for u in org.users.values() if u["status"] == "DEPROVISIONED")
    plain = (await http.get("/api/v1/users")).json()
    assert gone["id"] not in {u["id"] for u in plain}  # the plain list leaves them out
    found = await http.get("/api/v1/users", params={"filter": f'id eq "{gone["id"]}"'})
    assert [u["id"] for u in found.json()] == [gone["id"]]
    refused = await http.get("/api/v1/users", params={"filter": 'profile.department eq "IT"'})
    assert refused.status_code == 400 and refused.json()["errorCode"] == "E0000031"
    by_login = await http.get(f"/api/v1/users/{gone['profile']['login']}")
    assert by_login.json()["id"] == gone["id"] and by_login.headers["ETag"]


async def test_pages_follow_separate_link_headers_with_after(org: Org, http) -> None:
    seed_org(org, 1, people=7, devices=False)
    seen, url, pages = [], "/api/v1/users?limit=3", 0
    while url:
        response = await http.get(url)
        links = response.headers.get_list("link")
        assert links[0].endswith('rel="self"')
        seen += [u["id"] for u in response.json()]
        url = response.links.get("next", {}).get("url")
        pages += 1
    active = [u for u in org.users.values() if u["status"] != "DEPROVISIONED"]
    assert pages == -(-len(active) // 3) and sorted(seen) == sorted(u["id"] for u in active)


async def test_the_system_log_polls_with_an_endless_next_link(org: Org, http) -> None:
    since = "2000-01-01T00:00:00.000Z"
    first = await http.get("/api/v1/logs", params={"since": since})
    assert first.json() == [] and "next" in first.links  # empty, and still a next link
    user = org.add_user("Ada", "Lovelace")
    second = await http.get(first.links["next"]["url"])
    assert [e["eventType"] for e in second.json()] == [
        "user.lifecycle.create",
        "user.lifecycle.activate",
    ]
    assert second.json()[0]["target"][0]["id"] == user["id"]
    third = await http.get(second.links["next"]["url"])
    assert third.json() == [] and "next" in third.links
    bounded = await http.get("/api/v1/logs", params={"since": since, "until": org.now()})
    assert len(bounded.json()) == 2 and "next" not in bounded.links
    filtered = await http.get(
        "/api/v1/logs", params={"since": since, "filter": 'eventType eq "user.lifecycle.activate"'}
    )
    assert len(filtered.json()) == 1


async def test_an_admin_updates_a_profile_and_the_log_says_so(org: Org, http) -> None:
    """``POST /api/v1/users/{id}`` is a partial update: what is given changes, null removes,
    the rest stays; the System Log records it (how the hub hears of a department move)."""
    user = org.add_user("Ada", "Lovelace", department="Engineering", title="Engineer")
    moved = await http.post(
        f"/api/v1/users/{user['id']}", json={"profile": {"department": "Finance", "title": None}}
    )
    assert moved.status_code == 200, moved.text
    profile = moved.json()["profile"]
    assert profile["department"] == "Finance" and "title" not in profile
    assert profile["email"] == user["profile"]["email"]  # untouched
    assert org.events[-1]["eventType"] == "user.account.update_profile"
    empty = await http.post(f"/api/v1/users/{user['id']}", json={"profile": {"login": ""}})
    assert empty.status_code == 400 and empty.json()["errorCode"] == "E0000001"
    unknown = await http.post("/api/v1/users/00unobody", json={"profile": {"title": "x"}})
    assert unknown.status_code == 404


async def test_a_user_s_devices_are_listed_with_the_device(org: Org, http) -> None:
    ada = org.add_user("Ada", "Lovelace")
    grace = org.add_user("Grace", "Hopper")
    laptop = org.add_device("Ada's Mac", serial_number="C02ADA", users=[ada["id"]])
    org.add_device("Grace's Mac", serial_number="C02GRACE", users=[grace["id"]])
    found = (await http.get(f"/api/v1/users/{ada['id']}/devices")).json()
    assert [entry["device"]["id"] for entry in found] == [laptop["id"]]
    assert found[0]["device"]["profile"]["serialNumber"] == "C02ADA" and found[0]["created"]
    unknown = await http.get("/api/v1/users/00unobody/devices")
    assert unknown.status_code == 404 and unknown.json()["errorCode"] == "E0000007"


async def test_buckets_answer_okta_rate_headers_and_e0000047(org: Org, http) -> None:
    org.controls.rate_limits.clear()
    org.controls.rate_limits.add(RateLimitRule(limit=2, window=60, path="/api/v1/groups*"))
    first = await http.get("/api/v1/groups")
    assert first.headers["X-Rate-Limit-Limit"] == "2"
    assert first.headers["X-Rate-Limit-Remaining"] == "1"
    reset = int(first.headers["X-Rate-Limit-Reset"])
    assert 0 < reset - org.clock().timestamp() <= 60
    await http.get("/api/v1/groups")
    refused = await http.get("/api/v1/groups")
    assert refused.status_code == 429 and refused.json()["errorCode"] == "E0000047"
    assert refused.headers["X-Rate-Limit-Remaining"] == "0" and "Retry-After" not in refused.headers


async def test_errors_have_okta_s_shape(org: Org, checked) -> None:
    async with httpx.AsyncClient(
        transport=checked.checking(httpx.ASGITransport(app=build_app(org))),
        base_url="https://acme.okta.com",
    ) as anonymous:
        refused = await anonymous.get("/api/v1/users")
        unknown = await anonymous.get("/api/v1/nothing-here", headers=SSWS)
    assert refused.status_code == 401
    assert set(refused.json()) == {
        "errorCode",
        "errorSummary",
        "errorLink",
        "errorId",
        "errorCauses",
    }
    assert refused.json()["errorCode"] == "E0000011"
    assert unknown.status_code == 404 and unknown.json()["errorCode"] == "E0000007"


async def test_a_service_app_gets_a_token_with_a_signed_assertion(org: Org) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    org.service_app_keys["0oaservice"] = key.public_key()
    app = build_app(org)
    token_url = "https://acme.okta.com/oauth2/v1/token"

    def assertion(**claims) -> str:
        now = int(org.clock().timestamp())
        base = {"iss": "0oaservice", "sub": "0oaservice", "aud": token_url, "iat": now,
                "exp": now + 300, "jti": str(time.perf_counter_ns())}  # fmt: skip
        return jwt.encode({**base, **claims}, key, algorithm="RS256")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        form = {
            "grant_type": "client_credentials",
            "scope": "okta.users.read",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        }
        signed = assertion()
        granted = await client.post(token_url, data={**form, "client_assertion": signed})
        replayed = await client.post(token_url, data={**form, "client_assertion": signed})
        wrong = await client.post(token_url, data={**form, "client_assertion": assertion(aud="x")})
        bearer = {"Authorization": f"Bearer {granted.json()['access_token']}"}
        users = await client.get("https://acme.okta.com/api/v1/users", headers=bearer)
    assert granted.status_code == 200 and granted.json()["scope"] == "okta.users.read"
    assert "refresh_token" not in granted.json()
    assert (replayed.status_code, wrong.status_code, users.status_code) == (401, 401, 200)


async def test_event_hooks_are_verified_then_receive_events(org: Org, http) -> None:
    received: list[dict] = []

    async def endpoint(request: Request) -> Response:
        if request.headers.get("authorization") != "shared":
            return Response(status_code=401)
        if request.method == "GET":
            challenge = request.headers["x-okta-verification-challenge"]
            return JSONResponse({"verification": challenge})
        received.append(await request.json())
        return Response(status_code=204)

    receiver = Starlette(routes=[Route("/hooks/okta", endpoint, methods=["GET", "POST"])])

    def hook_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver))

    http._transport.inner.app.app.state.hook_client = hook_client  # type: ignore[attr-defined]
    created = await http.post(
        "/api/v1/eventHooks",
        json={
            "name": "itsmhub",
            "events": {"type": "EVENT_TYPE", "items": ["user.lifecycle.deactivate"]},
            "channel": {
                "type": "HTTP",
                "version": "1.0.0",
                "config": {
                    "uri": "https://hub.example/hooks/okta",
                    "authScheme": {"type": "HEADER", "key": "Authorization", "value": "shared"},
                },
            },
        },
    )
    hook = created.json()
    assert hook["verificationStatus"] == "UNVERIFIED"
    assert "value" not in hook["channel"]["config"]["authScheme"]  # never shown again
    verified = await http.post(f"/api/v1/eventHooks/{hook['id']}/lifecycle/verify")
    assert verified.json()["verificationStatus"] == "VERIFIED"
    user = org.add_user("Ada", "Lovelace")
    org.set_user_status(user["id"], "DEPROVISIONED")
    assert await deliver_events(org, hook_client) == 1
    assert await deliver_events(org, hook_client) == 0  # each event once
    [body] = received
    [event] = body["data"]["events"]
    assert event["eventType"] == "user.lifecycle.deactivate"
    assert body["eventType"] == "com.okta.event_hook"


def test_the_seed_is_deterministic_and_dated_relative_to_today(clock) -> None:
    one, two = Org(clock=clock), Org(clock=clock)
    seed_org(one, 9, people=15)
    seed_org(two, 9, people=15)
    names = [u["profile"]["login"] for u in one.users.values()]
    assert names == [u["profile"]["login"] for u in two.users.values()]
    assert len(one.users) == 15 and one.devices and one.groups
    departments = {u["profile"]["department"] for u in one.users.values()}
    assert len(departments) >= 5
    assert all(u["created"] < one.now() for u in one.users.values())


def test_the_emulator_declares_credentials_and_a_ready_config() -> None:
    emulator = OktaEmulator(people=5)
    config = emulator.connector_config("http://127.0.0.1:9", {})
    assert config.settings["auth"] == {"method": "api_token", "token": "env:OKTA_API_TOKEN"}
    assert config.environment["OKTA_API_TOKEN"] == OktaEmulator.credentials["api_token"]
    with pytest.raises(ValueError, match="unknown credential"):
        emulator.app(credentials={"password": "x"})
