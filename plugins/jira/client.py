"""A thin client of Jira Cloud's REST API v3 (vendor-apis.md §2).

Every call goes through :func:`itsmhub.send_with_retries`, so retries, ``Retry-After``
and the status → error table are the core's; pacing reads Jira's ``X-RateLimit-*``,
``X-RateLimit-NearLimit`` and ``RateLimit-Reason`` headers (the plugin's dialect). This
module knows paths, parameters and answer shapes only.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
import httpx

from itsmhub import (
    ConnectorContext,
    RateLimitState,
    UnexpectedAnswer,
    build_client,
    send_with_retries,
)

from .dialect import JIRA
from .settings import JiraSettings

Sleep = Callable[[float], Awaitable[None]]
API = "/rest/api/3"
GATEWAY = "https://api.atlassian.com/ex/jira"
_JSON = {"Content-Type": "application/json"}
#: Account ids per ``GET /user/bulk`` call.
USERS_PER_CALL = 100
#: Comments per ``GET …/comment`` page (Jira's maximum).
COMMENTS_PER_PAGE = 100


def base_url(settings: JiraSettings) -> str:
    """The site, or Atlassian's gateway for a scoped token (which needs the cloud id)."""
    if settings.cloud_id is not None:
        return f"{GATEWAY}/{settings.cloud_id}"
    return str(settings.site_url).rstrip("/")


@dataclass
class SearchPage:
    """One page of ``POST /search/jql``: its issues and the token of the next page."""

    issues: list[dict[str, Any]]
    next_token: str | None = None
    is_last: bool = True


@dataclass
class CommentPage:
    """One page of an issue's comments, and how many the issue has."""

    comments: list[dict[str, Any]]
    total: int = 0


class JiraClient:
    """REST API v3 calls for one site, signed in with an account's e-mail and API token."""

    def __init__(
        self,
        settings: JiraSettings,
        context: ConnectorContext,
        *,
        sleep: Sleep = anyio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.context = context
        self.sleep = sleep
        self.clock = clock
        token = context.resolve_secret(settings.api_token).get_secret_value()
        self.pacer = RateLimitState(dialect=JIRA, sleep=sleep, clock=clock)
        self.http = build_client(
            context.http,
            base_url=base_url(settings),
            auth=(settings.email, token),
            transport=context.transport,
            dialect=JIRA,
            pacer=self.pacer,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> JiraClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        absent_ok: bool = False,
        answers: Sequence[int] = (),
    ) -> httpx.Response:
        """One call with retries; ``absent_ok`` lets a 404 through as an answer, and so
        does every status in ``answers``."""
        statuses = [*answers, *([404] if absent_ok else [])]
        kwargs: dict[str, Any] = {"params": params or {}}
        if body is not None:
            kwargs.update(json=body, headers=_JSON)
        return await send_with_retries(
            self.http,
            method,
            f"{API}{path}",
            settings=self.context.http,
            idempotent=idempotent,
            overrides=dict.fromkeys(statuses) or None,
            sleep=self.sleep,
            clock=self.clock,
            **kwargs,
        )

    # --- reading -----------------------------------------------------------------------

    async def myself(self) -> dict[str, Any]:
        return _object(await self.send("GET", "/myself"))

    async def search(
        self,
        jql: str,
        fields: Sequence[str],
        *,
        limit: int,
        token: str | None = None,
        properties: Sequence[str] = (),
    ) -> SearchPage:
        """``POST /search/jql``: one page (a read: safe to send again)."""
        body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": limit}
        if token:
            body["nextPageToken"] = token
        if properties:
            body["properties"] = list(properties)
        response = await self.send("POST", "/search/jql", body=body, idempotent=True)
        data = _object(response)
        next_token = data.get("nextPageToken")
        return SearchPage(
            issues=_listed(response, "issues", data),
            next_token=next_token if isinstance(next_token, str) and next_token else None,
            is_last=bool(data.get("isLast", not next_token)),
        )

    async def issue(
        self, id_or_key: str, fields: Sequence[str], properties: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """One issue, or None if it does not exist (or is hidden from the account)."""
        params: dict[str, str] = {"fields": ",".join(fields)}
        if properties:
            params["properties"] = ",".join(properties)
        response = await self.send(
            "GET", f"/issue/{_part(id_or_key)}", params=params, absent_ok=True
        )
        return None if response.status_code == 404 else _object(response)

    async def comments(self, id_or_key: str, start_at: int) -> CommentPage:
        params = {"startAt": start_at, "maxResults": COMMENTS_PER_PAGE, "orderBy": "created"}
        response = await self.send("GET", f"/issue/{_part(id_or_key)}/comment", params=params)
        data = _object(response)
        comments = _listed(response, "comments", data)
        total = data.get("total")
        return CommentPage(comments, total if isinstance(total, int) else len(comments))

    async def transitions(self, id_or_key: str) -> list[dict[str, Any]]:
        params = {"expand": "transitions.fields"}
        path = f"/issue/{_part(id_or_key)}/transitions"
        return _listed(await self.send("GET", path, params=params), "transitions")

    async def property(self, id_or_key: str, key: str) -> Any:
        """An issue entity property's value, or None if it is not set."""
        response = await self.send(
            "GET", f"/issue/{_part(id_or_key)}/properties/{_part(key)}", absent_ok=True
        )
        return None if response.status_code == 404 else _object(response).get("value")

    async def link_types(self) -> list[dict[str, Any]]:
        return _listed(await self.send("GET", "/issueLinkType"), "issueLinkTypes")

    async def fields(self) -> list[dict[str, Any]]:
        response = await self.send("GET", "/field")
        data = _json(response)
        if not isinstance(data, list):
            raise _malformed(response, "not a list of fields")
        return [f for f in data if isinstance(f, dict)]

    async def project(self, key: str) -> dict[str, Any] | None:
        response = await self.send("GET", f"/project/{_part(key)}", absent_ok=True)
        return None if response.status_code == 404 else _object(response)

    async def my_permissions(self, project: str, keys: Sequence[str]) -> dict[str, bool]:
        params = {"projectKey": project, "permissions": ",".join(keys)}
        data = _object(await self.send("GET", "/mypermissions", params=params))
        found = data.get("permissions") if isinstance(data.get("permissions"), dict) else {}
        return {
            key: bool(found.get(key, {}).get("havePermission"))
            for key in keys
            if isinstance(found, dict)
        }

    async def users(self, account_ids: Sequence[str]) -> list[dict[str, Any]]:
        """``GET /user/bulk``, ``USERS_PER_CALL`` accounts a call."""
        found: list[dict[str, Any]] = []
        ids = list(dict.fromkeys(account_ids))
        for start in range(0, len(ids), USERS_PER_CALL):
            chunk = ids[start : start + USERS_PER_CALL]
            params = [("maxResults", len(chunk)), *(("accountId", i) for i in chunk)]
            found += _listed(await self.send("GET", "/user/bulk", params=params), "values")
        return found

    async def find_users(self, query: str) -> list[dict[str, Any]]:
        """``GET /user/search``: accounts whose name or e-mail starts with ``query``."""
        response = await self.send("GET", "/user/search", params={"query": query})
        data = _json(response)
        return [u for u in data if isinstance(u, dict)] if isinstance(data, list) else []

    # --- writing -----------------------------------------------------------------------

    async def create_issue(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /issue`` (never retried once sent: the marker search decides, G3)."""
        return _object(await self.send("POST", "/issue", body=dict(body)))

    async def create_issues(self, bodies: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """``POST /issue/bulk``: 201 when some were made, 400 when none were; both carry
        the per-element errors, so a 400 is an answer here, not an error."""
        body = {"issueUpdates": [dict(b) for b in bodies]}
        return _object(await self.send("POST", "/issue/bulk", body=body, answers=(400,)))

    async def edit_issue(self, id_or_key: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """``PUT /issue`` with ``returnIssue``: absolute values, safe to send again. Returns
        the issue as it is now (its ``updated`` is the new version)."""
        params = {"returnIssue": "true", "notifyUsers": "false"}
        response = await self.send(
            "PUT", f"/issue/{_part(id_or_key)}", params=params, body=dict(body)
        )
        return _object(response) if response.content else None

    async def transition(self, id_or_key: str, body: Mapping[str, Any]) -> None:
        # Moving to a status is the same request again after a lost answer; Jira answers
        # 400 (no such transition from the new status) rather than moving twice.
        await self.send(
            "POST", f"/issue/{_part(id_or_key)}/transitions", body=dict(body), idempotent=True
        )

    async def add_comment(self, id_or_key: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return _object(
            await self.send("POST", f"/issue/{_part(id_or_key)}/comment", body=dict(body))
        )

    async def update_comment(
        self, id_or_key: str, comment_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/issue/{_part(id_or_key)}/comment/{_part(comment_id)}"
        return _object(await self.send("PUT", path, body=dict(body)))

    async def link_issues(self, body: Mapping[str, Any]) -> None:
        # Jira answers a repeated link request with "created" and keeps one link.
        await self.send("POST", "/issueLink", body=dict(body), idempotent=True)

    async def delete_issue_link(self, link_id: str) -> None:
        await self.send("DELETE", f"/issueLink/{_part(link_id)}", absent_ok=True)

    async def put_remote_link(self, id_or_key: str, body: Mapping[str, Any]) -> None:
        # An upsert by globalId: sending it again updates the same link.
        await self.send(
            "POST", f"/issue/{_part(id_or_key)}/remotelink", body=dict(body), idempotent=True
        )

    async def delete_remote_link(self, id_or_key: str, global_id: str) -> None:
        await self.send(
            "DELETE",
            f"/issue/{_part(id_or_key)}/remotelink",
            params={"globalId": global_id},
            absent_ok=True,
        )

    async def set_property(self, id_or_key: str, key: str, value: Any) -> None:
        path = f"/issue/{_part(id_or_key)}/properties/{_part(key)}"
        await self.send("PUT", path, body=value)


def _part(value: str) -> str:
    """A path segment, percent-encoded (keys and ids are plain; a crafted one is not)."""
    return quote(value, safe="")


def _malformed(response: httpx.Response, why: str) -> UnexpectedAnswer:
    """A 2xx answer we cannot read (a proxy's page, a cut body): retried, then
    dead-lettered; the message says how it was broken, never what it held."""
    request = response.request
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    return UnexpectedAnswer(
        f"{request.method} {request.url.scheme}://{request.url.host}{request.url.path}: "
        f"Jira answered HTTP {response.status_code} with a body that is not its JSON "
        f"({why}; {kind}, {len(response.content)} bytes)",
        status=response.status_code,
    )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise _malformed(response, "not JSON") from None


def _object(response: httpx.Response) -> dict[str, Any]:
    data = _json(response)
    if not isinstance(data, dict):
        raise _malformed(response, f"a JSON {type(data).__name__}, not an object")
    return data


def _listed(
    response: httpx.Response, key: str, data: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The objects listed under ``key`` of an answer that must have that list (``data``:
    the answer already parsed, so a large page is parsed once)."""
    found = (data if data is not None else _object(response)).get(key)
    if not isinstance(found, list):
        raise _malformed(response, f"no '{key}' list")
    return [item for item in found if isinstance(item, dict)]


__all__ = ["API", "CommentPage", "JiraClient", "SearchPage", "base_url"]
