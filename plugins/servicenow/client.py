"""A thin client of the ServiceNow Table and Batch APIs (vendor-apis.md §3).

Every call goes through :func:`itsmhub.send_with_retries`, so retries, ``Retry-After`` and
the status → error table are the core's; this module only knows paths, parameters and the
two ways to sign in (basic, or OAuth tokens from ``/oauth_token.do``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx

from itsmhub import (
    ConnectorContext,
    OAuthFlow,
    TransientError,
    build_client,
    raise_for_status,
    send_with_retries,
)

from .dialect import SERVICENOW
from .settings import BasicAuth, OAuthAuth, ServiceNowSettings

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
TOKEN_PATH = "/oauth_token.do"  # noqa: S105  (a URL path, not a secret)
BATCH_PATH = "/api/now/v1/batch"  # the Batch API needs the versioned URL
_JSON = {"Content-Type": "application/json"}
#: The longest path and query a GET is sent with; a longer one (a journal look-up of a
#: 10,000-row page lists 350 kB of sys_ids) goes inside a Batch API call instead, as
#: ServiceNow's own pysnc does past about 10,000 characters (vendor-apis.md §3.3). It
#: costs one call either way, and the front end's request-line limit is never met.
MAX_URL = 10_000


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
    return OAuthFlow(
        token_url,
        grant,
        clock=lambda: context.clock().timestamp(),
        fix="check client_id and client_secret (and the user's password for the password "
        "grant) in the instance's Application Registry",
    )


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
    headers: dict[str, str] = field(default_factory=dict)


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
            dialect=SERVICENOW,
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
        response = await self.get_anyhow(f"/api/now/table/{table}", params)
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

    async def get_anyhow(self, path: str, params: Mapping[str, str | int]) -> httpx.Response:
        """``GET path?params`` (a 404 let through as an answer): directly, or inside a
        Batch API call when the URL would be longer than :data:`MAX_URL`."""
        query = urlencode(params)
        if len(path) + 1 + len(query) <= MAX_URL:
            return await self.send("GET", path, params=params, absent_ok=True)
        request = BatchRequest("1", "GET", f"{path}?{query}")
        # A read may run twice: the batch is retried like the GET it carries.
        [answer] = await self.batch([request], idempotent=True, keep_headers=True)
        if answer.status == 0:
            raise TransientError(f"GET {path}: the instance did not reach it within the batch")
        sent = httpx.Request("GET", self.http.base_url.join(path))
        response = httpx.Response(
            answer.status, headers=answer.headers, json=answer.body, request=sent
        )
        if answer.status != 404:
            raise_for_status(response)
        return response

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
        self,
        requests: Sequence[BatchRequest],
        *,
        idempotent: bool | None = None,
        keep_headers: bool = False,
    ) -> list[BatchResponse]:
        """Many Table API calls in one HTTP call; the instance runs them one after another.

        The call is a POST, so it is not retried once sent unless ``idempotent`` vouches
        that every item may run twice (reads, absolute-value PATCHes; no creates, no
        journal). ``keep_headers`` asks for each item's response headers (``Link``).
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
                "exclude_response_headers": not keep_headers,
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
        data = _json_object(response)
        serviced = data.get("serviced_requests", [])
        unserviced = data.get("unserviced_requests", [])
        if not isinstance(serviced, list) or not isinstance(unserviced, list):
            raise _malformed(response, "its request lists are not lists")
        out = [_batch_item(response, item) for item in serviced]
        out += [
            BatchResponse(id=str(i), status=0, body=None, error="not serviced in time")
            for i in unserviced
        ]
        return out


def _write_params(fields: Sequence[str]) -> dict[str, str]:
    params = {"sysparm_exclude_reference_link": "true"}
    if fields:
        params["sysparm_fields"] = ",".join(fields)
    return params


def _malformed(response: httpx.Response, why: str) -> TransientError:
    """A 2xx answer we cannot read: the instance (or a proxy in front of it) sent something
    else than the API's JSON. Retried like a 5xx, since the next answer may be whole;
    the message says how it was broken, never what it held."""
    request = response.request
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    return TransientError(
        f"{request.method} {request.url.scheme}://{request.url.netloc.decode()}{request.url.path}: "
        f"the instance answered HTTP {response.status_code} with a body that is not the "
        f"Table API's JSON ({why}; {kind}, {len(response.content)} bytes)",
        status=response.status_code,
    )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise _malformed(response, "not JSON") from None
    if not isinstance(data, dict):
        raise _malformed(response, f"a JSON {type(data).__name__}, not an object")
    return data


def _result(response: httpx.Response, kind: type) -> Any:
    result = _json_object(response).get("result")
    if not isinstance(result, kind):
        raise _malformed(response, f"no 'result' {kind.__name__}")
    return result


def _batch_item(response: httpx.Response, item: Any) -> BatchResponse:
    if not isinstance(item, dict):
        raise _malformed(response, "a serviced request is not an object")
    raw = item.get("body")
    try:
        body = json.loads(base64.b64decode(raw, validate=True)) if raw else None
        status = int(item.get("status_code", 0))
    except (binascii.Error, ValueError, TypeError):
        raise _malformed(response, "a serviced request's body or status is unreadable") from None
    headers = item.get("headers")
    return BatchResponse(
        id=str(item.get("id")),
        status=status,
        body=body,
        error=item.get("error_message"),
        headers={str(h.get("name")): str(h.get("value")) for h in headers if isinstance(h, dict)}
        if isinstance(headers, list)
        else {},
    )
