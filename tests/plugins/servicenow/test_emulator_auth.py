"""Authentication: Basic users, the OAuth token endpoint and Bearer tokens."""

from __future__ import annotations

import httpx
import pytest

from itsmhub_servicenow.emulator import Instance

pytestmark = pytest.mark.anyio
INC = "/api/now/table/incident"
CLIENT = {"client_id": "itsmhub", "client_secret": "itsmhub-secret"}


async def test_missing_or_wrong_basic_auth_is_401(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get(INC)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "message": "User Not Authenticated",
            "detail": "Required to provide Auth information",
        },
        "status": "failure",
    }
    wrong = await anonymous.get(INC, auth=("admin", "nope"))
    assert wrong.status_code == 401
    garbled = await anonymous.get(INC, headers={"Authorization": "Basic !!!"})
    assert garbled.status_code == 401


async def test_basic_auth_user_is_recorded(instance: Instance, client_for) -> None:
    async with client_for(httpx.BasicAuth("sync", "s3cret")) as client:
        response = await client.post(INC, json={"comments": "hi"})
    assert response.status_code == 201
    assert response.json()["result"]["sys_created_by"] == "sync"
    (entry,) = instance.rows("sys_journal_field")
    assert entry["sys_created_by"] == "sync"


async def test_password_grant_then_bearer(anonymous: httpx.AsyncClient) -> None:
    form = {**CLIENT, "grant_type": "password", "username": "sync", "password": "s3cret"}
    response = await anonymous.post(
        "/oauth_token.do", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    token = response.json()
    assert set(token) == {"access_token", "refresh_token", "scope", "token_type", "expires_in"}
    assert (token["token_type"], token["expires_in"]) == ("Bearer", 1799)
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await anonymous.get(INC, headers=bearer)).status_code == 200
    bad = {"Authorization": "Bearer nope"}
    assert (await anonymous.get(INC, headers=bad)).status_code == 401


async def test_tokens_expire_and_refresh(anonymous: httpx.AsyncClient, clock) -> None:
    form = {**CLIENT, "grant_type": "client_credentials"}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    token = (await anonymous.post("/oauth_token.do", data=form, headers=headers)).json()
    clock.advance(1800)
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await anonymous.get(INC, headers=bearer)).status_code == 401
    refresh = {**CLIENT, "grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    renewed = (await anonymous.post("/oauth_token.do", data=refresh, headers=headers)).json()
    bearer = {"Authorization": f"Bearer {renewed['access_token']}"}
    assert (await anonymous.get(INC, headers=bearer)).status_code == 200


@pytest.mark.parametrize(
    "form",
    [
        {**CLIENT, "grant_type": "password", "username": "sync", "password": "wrong"},
        {"client_id": "itsmhub", "client_secret": "x", "grant_type": "client_credentials"},
        {**CLIENT, "grant_type": "refresh_token", "refresh_token": "unknown"},
        {**CLIENT, "grant_type": "authorization_code"},
    ],
)
async def test_bad_token_requests_are_401(anonymous: httpx.AsyncClient, form: dict) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = await anonymous.post("/oauth_token.do", data=form, headers=headers)
    assert response.status_code == 401
