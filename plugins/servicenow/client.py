"""A thin client of the ServiceNow Table and Batch APIs (vendor-apis.md §3).

Every call goes through :func:`itsmhub.send_with_retries`, so retries, ``Retry-After`` and
the status → error table are the core's; this module only knows paths, parameters and the
two ways to sign in (basic, or OAuth tokens from ``/oauth_token.do``).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from itsmhub import (
    ConfigError,
    ConnectorContext,
    FatalError,
    build_client,
    raise_for_status,
    register_secret,
    send_with_retries,
)

from .settings import BasicAuth, OAuthAuth, ServiceNowSettings

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
TOKEN_PATH = "/oauth_token.do"  # noqa: S105  (a URL path, not a secret)
BATCH_PATH = "/api/now/v1/batch"  # the Batch API needs the versioned URL
_JSON = {"Content-Type": "application/json"}
# Refresh a little before the stated expiry, so a token never dies in flight.
_EXPIRY_MARGIN = 60.0


class OAuthFlow(httpx.Auth):
    """Bearer tokens from ``/oauth_token.do``, cached until expiry, refreshed, and fetched
    again once when the instance answers 401 (a token revoked before its time)."""

    requires_response_body = True

    def __init__(self, token_url: str, grant: Mapping[str, str], clock: Clock = time.time) -> None:
        self.token_url = token_url
        self.grant = dict(grant)
        self.clock = clock
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.expires_at = 0.0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.access_token is None or self.clock() >= self.expires_at:
            yield from self._obtain()
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        response = yield request
        if response.status_code == 401:
            self.access_token = None
            yield from self._obtain()
            request.headers["Authorization"] = f"Bearer {self.access_token}"
            yield request

    def _obtain(self) -> Generator[httpx.Request, httpx.Response, None]:
        if self.refresh_token is not None:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self.refresh_token,
                "client_id": self.grant["client_id"],
                "client_secret": self.grant["client_secret"],
            }
            response = yield self._token_request(form)
            if response.status_code == 200:
                self._store(response)
                return
            self.refresh_token = None  # expired or revoked: sign in again with the grant
        response = yield self._token_request(self.grant)
        if response.status_code in (400, 401):
            raise ConfigError(
                f"the instance refused the OAuth {self.grant['grant_type']} grant "
                f"(HTTP {response.status_code})",
                key="auth",
                fix="check client_id and client_secret (and the user's password for the "
                "password grant) in the instance's Application Registry",
            )
        raise_for_status(response)
        self._store(response)

    def _token_request(self, form: Mapping[str, str]) -> httpx.Request:
        return httpx.Request(
            "POST", self.token_url, data=dict(form), headers={"Accept": "application/json"}
        )

    def _store(self, response: httpx.Response) -> None:
        try:
            body = response.json()
            self.access_token = str(body["access_token"])
            register_secret(self.access_token)
        except (ValueError, KeyError, TypeError):
            raise FatalError("the OAuth token answer holds no access_token") from None
        self.refresh_token = body.get("refresh_token") or self.refresh_token
        register_secret(self.refresh_token)
        self.expires_at = self.clock() + float(body.get("expires_in", 1799)) - _EXPIRY_MARGIN


def make_auth(settings: ServiceNowSettings, context: ConnectorContext) -> httpx.Auth:
    """Basic auth, or the OAuth flow for the configured grant, with secrets resolved now."""
    auth = settings.auth
    if isinstance(auth, BasicAuth):
        password = context.resolve_secret(auth.password).get_secret_value()
        return httpx.BasicAuth(auth.username, password)
    assert isinstance(auth, OAuthAuth)
    grant = {
        "grant_type": auth.grant,
        "client_id": auth.client_id,
        "client_secret": context.resolve_secret(auth.client_secret).get_secret_value(),
    }
    if auth.grant == "password":
        assert auth.username is not None and auth.password is not None
        grant["username"] = auth.username
        grant["password"] = context.resolve_secret(auth.password).get_secret_value()
    token_url = str(settings.instance_url).rstrip("/") + TOKEN_PATH
    return OAuthFlow(token_url, grant, clock=lambda: context.clock().timestamp())


@dataclass
class Page:
    """One page of a list call: rows, the total the instance counted, the ``Link`` rels."""

    rows: list[dict[str, Any]]
    total: int | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchRequest:
    id: str
    method: str
    url: str
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class BatchResponse:
    id: str
    status: int
    body: Any
    error: str | None = None


class ServiceNowClient:
    """Table API calls for one instance; values come back as the instance sends them."""

    def __init__(
        self,
        settings: ServiceNowSettings,
        context: ConnectorContext,
        *,
        sleep: Sleep = anyio.sleep,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.context = context
        self.sleep = sleep
        self.http = build_client(
            context.http,
            base_url=str(settings.instance_url).rstrip("/"),
            auth=auth or make_auth(settings, context),
            transport=context.transport,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        absent_ok: bool = False,
    ) -> httpx.Response:
        """One call with retries; ``absent_ok`` lets a 404 through as an answer."""
        kwargs: dict[str, Any] = {"params": dict(params or {})}
        if body is not None:
            kwargs.update(json=body, headers=_JSON)  # a write without it is a 400
        return await send_with_retries(
            self.http,
            method,
            path,
            settings=self.context.http,
            idempotent=idempotent,
            overrides={404: None} if absent_ok else None,
            sleep=self.sleep,
            **kwargs,
        )

    async def list(
        self,
        table: str,
        query: str,
        fields: Sequence[str],
        limit: int,
        offset: int = 0,
    ) -> Page:
        """``GET /api/now/table/{table}``; a v1 "No Record found" 404 is an empty page."""
        params: dict[str, str | int] = {
            "sysparm_query": query,
            "sysparm_limit": limit,
            "sysparm_exclude_reference_link": "true",
        }
        if fields:
            params["sysparm_fields"] = ",".join(fields)
        if offset:
            params["sysparm_offset"] = offset
        response = await self.send("GET", f"/api/now/table/{table}", params=params, absent_ok=True)
        if response.status_code == 404:
            if "no record found" in response.text.lower():
                return Page(rows=[])
            raise_for_status(response)  # another 404 (a wrong table name) is an error
        total = response.headers.get("X-Total-Count")
        links = {rel: link["url"] for rel, link in response.links.items() if "url" in link}
        return Page(
            rows=_result(response, list),
            total=int(total) if total and total.isdigit() else None,
            links=links,
        )

    async def get(
        self, table: str, sys_id: str, fields: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """One row, or None if it does not exist (or an ACL hides it)."""
        params = {"sysparm_exclude_reference_link": "true"}
        if fields:
            params["sysparm_fields"] = ",".join(fields)
        response = await self.send(
            "GET", f"/api/now/table/{table}/{sys_id}", params=params, absent_ok=True
        )
        if response.status_code == 404:
            return None
        return _result(response, dict)

    async def create(
        self, table: str, values: Mapping[str, str], fields: Sequence[str] = ()
    ) -> dict[str, Any]:
        """``POST`` one row (never retried once sent: the marker search decides, G3)."""
        response = await self.send(
            "POST", f"/api/now/table/{table}", params=_write_params(fields), body=dict(values)
        )
        return _result(response, dict)

    async def patch(
        self, table: str, sys_id: str, values: Mapping[str, str], fields: Sequence[str] = ()
    ) -> dict[str, Any]:
        """``PATCH`` one row. Absolute values are safe to resend; journal fields append."""
        appends = "comments" in values or "work_notes" in values
        response = await self.send(
            "PATCH",
            f"/api/now/table/{table}/{sys_id}",
            params=_write_params(fields),
            body=dict(values),
            idempotent=not appends,
        )
        return _result(response, dict)

    async def batch(
        self, requests: Sequence[BatchRequest], *, idempotent: bool | None = None
    ) -> list[BatchResponse]:
        """Many Table API calls in one HTTP call; the instance runs them one after another.

        The call is a POST, so it is not retried once sent unless ``idempotent`` vouches
        that every item may run twice (absolute-value PATCHes, no creates, no journal).
        """
        rest_requests = []
        for item in requests:
            entry: dict[str, Any] = {
                "id": item.id,
                "method": item.method,
                "url": item.url,
                "headers": [
                    {"name": "Content-Type", "value": "application/json"},
                    {"name": "Accept", "value": "application/json"},
                ],
                "exclude_response_headers": True,
            }
            if item.body is not None:
                entry["body"] = base64.b64encode(json.dumps(item.body).encode()).decode()
            rest_requests.append(entry)
        response = await self.send(
            "POST",
            BATCH_PATH,
            body={"batch_request_id": "1", "rest_requests": rest_requests},
            idempotent=idempotent,
        )
        data = response.json()
        out = [_batch_item(item) for item in data.get("serviced_requests", [])]
        out += [
            BatchResponse(id=str(i), status=0, body=None, error="not serviced in time")
            for i in data.get("unserviced_requests", [])
        ]
        return out


def _write_params(fields: Sequence[str]) -> dict[str, str]:
    params = {"sysparm_exclude_reference_link": "true"}
    if fields:
        params["sysparm_fields"] = ",".join(fields)
    return params


def _result(response: httpx.Response, kind: type) -> Any:
    try:
        result = response.json()["result"]
    except (ValueError, KeyError, TypeError):
        result = None
    if not isinstance(result, kind):
        raise FatalError(
            f"{response.request.method} {response.request.url.path}: the answer has no "
            f"'result' {kind.__name__}; is instance_url a ServiceNow instance?"
        )
    return result


def _batch_item(item: Mapping[str, Any]) -> BatchResponse:
    raw = item.get("body")
    body = json.loads(base64.b64decode(raw)) if raw else None
    return BatchResponse(
        id=str(item.get("id")),
        status=int(item.get("status_code", 0)),
        body=body,
        error=item.get("error_message"),
    )
