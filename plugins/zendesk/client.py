"""A thin client of the Zendesk Support API (vendor-apis.md §4).

Every call goes through :func:`itsmhub.send_with_retries`, so retries, ``Retry-After`` and
the status → error table are the core's; the client paces itself by Zendesk's published
limits (:func:`rate_budgets`) and knows paths, parameters and the two ways to sign in: an
agent's API token (``{email}/token`` basic auth) or an OAuth bearer token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import anyio
import httpx
from pydantic import BaseModel, ValidationError

from itsmhub import (
    ConnectorContext,
    RateBudget,
    RateLimitState,
    RecordError,
    RemoteChanged,
    TransientError,
    UnexpectedAnswer,
    build_client,
    send_with_retries,
)

from .dialect import ZENDESK
from .payloads import (
    CommentIn,
    CommentPage,
    JobStatus,
    Ticket,
    TicketAnswer,
    TicketEventPage,
    TicketExportPage,
    User,
)
from .settings import ZendeskSettings

Sleep = Callable[[float], Awaitable[None]]
M = TypeVar("M", bound=BaseModel)
#: Ids per show_many call (tickets, users, job statuses): Zendesk's limit.
SHOW_MANY = 100
#: Comments per page of the comments list (cursor pagination's maximum).
COMMENT_PAGE = 100
INCREMENTAL = "/api/v2/incremental/*"
_JSON = {"Content-Type": "application/json"}


def rate_budgets(settings: ZendeskSettings) -> list[RateBudget]:
    """The account's limit for every call, and the exports' own (shared by both feeds)."""
    return [
        RateBudget("zendesk account", settings.requests_per_minute, 60.0),
        RateBudget(
            "zendesk incremental exports", settings.export_requests_per_minute, 60.0, INCREMENTAL
        ),
    ]


def make_auth(settings: ZendeskSettings, context: ConnectorContext) -> dict[str, Any]:
    """``auth`` (API token) or ``headers`` (OAuth) for the client, secrets resolved now."""
    if settings.api_token is not None:
        token = context.resolve_secret(settings.api_token).get_secret_value()
        return {"auth": httpx.BasicAuth(f"{settings.email}/token", token)}
    assert settings.oauth_token is not None
    bearer = context.resolve_secret(settings.oauth_token).get_secret_value()
    return {"headers": {"Authorization": f"Bearer {bearer}"}}


class ZendeskClient:
    """Support API calls for one account; answers come back as :mod:`.payloads` models."""

    def __init__(
        self,
        settings: ZendeskSettings,
        context: ConnectorContext,
        *,
        sleep: Sleep = anyio.sleep,
        budgets: Any = None,
    ) -> None:
        """``budgets``: the :class:`~itsmhub.RateBudget` list to pace by (the settings'
        by default), or a ready pacer (tests hand one a fake clock)."""
        self.context = context
        self.sleep = sleep
        # Paced twice: by the published limits before sending, and by what the answers
        # say is left (X-Rate-Limit-Remaining, zendesk-ratelimit-*) when that runs low.
        self.pacer = RateLimitState(
            dialect=ZENDESK, sleep=sleep, clock=lambda: context.clock().timestamp()
        )
        self.http = build_client(
            context.http,
            base_url=settings.base_url,
            transport=context.transport,
            dialect=ZENDESK,
            budgets=rate_budgets(settings) if budgets is None else budgets,
            pacer=self.pacer,
            **make_auth(settings, context),
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
            kwargs.update(json=body, headers=_JSON)
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

    async def get(self, path: str, model: type[M], **params: str | int) -> M:
        return _read(await self.send("GET", path, params=params), model)

    # --- reading -------------------------------------------------------------------------

    async def me(self) -> User:
        return (await self.get("/api/v2/users/me", _UserAnswer)).user

    async def export_tickets(
        self, *, cursor: str | None, start_time: int | None, per_page: int
    ) -> TicketExportPage:
        """A page of the cursor-based ticket export: from ``start_time`` the first time,
        from ``cursor`` (the last page's ``after_cursor``) after that."""
        params: dict[str, str | int] = {"per_page": per_page}
        if cursor is not None:
            params["cursor"] = cursor
        else:
            params["start_time"] = start_time or 0
        return await self.get("/api/v2/incremental/tickets/cursor", TicketExportPage, **params)

    async def export_events(self, *, start_time: int, per_page: int) -> TicketEventPage:
        """A page of the time-based ticket event export, comments included."""
        return await self.get(
            "/api/v2/incremental/ticket_events",
            TicketEventPage,
            start_time=start_time,
            include="comment_events",
            per_page=per_page,
        )

    async def ticket(self, ticket_id: str) -> Ticket | None:
        response = await self.send("GET", f"/api/v2/tickets/{ticket_id}", absent_ok=True)
        if response.status_code == 404:
            return None
        return _read(response, TicketAnswer).ticket

    async def _show_many(self, path: str, model: type[M], ids: Sequence[str]) -> list[M]:
        """``show_many`` a hundred ids a call; what it does not find is left out."""
        pages = []
        for start in range(0, len(ids), SHOW_MANY):
            pages.append(await self.get(path, model, ids=",".join(ids[start : start + SHOW_MANY])))
        return pages

    async def tickets(self, ids: Sequence[str]) -> list[Ticket]:
        pages = await self._show_many("/api/v2/tickets/show_many", _Tickets, ids)
        return [ticket for page in pages for ticket in page.tickets]

    async def by_external_id(self, external_id: str) -> list[Ticket]:
        """Every ticket carrying ``external_id`` (not unique in Zendesk)."""
        return (await self.get("/api/v2/tickets", _Tickets, external_id=external_id)).tickets

    async def comments(self, ticket_id: str) -> list[CommentIn]:
        """All of a ticket's comments, oldest first (cursor pages of a hundred)."""
        found: list[CommentIn] = []
        params: dict[str, str | int] = {"page[size]": COMMENT_PAGE, "sort": "created_at"}
        path = f"/api/v2/tickets/{ticket_id}/comments"
        while True:
            page = _read(await self.send("GET", path, params=params), CommentPage)
            found += page.comments
            if not page.meta.has_more or not page.meta.after_cursor:
                return found
            if params.get("page[after]") == page.meta.after_cursor:
                raise TransientError(f"{path}: the same comment page came back twice")
            params["page[after]"] = page.meta.after_cursor

    async def users(self, ids: Sequence[str]) -> list[User]:
        pages = await self._show_many("/api/v2/users/show_many", _Users, ids)
        return [user for page in pages for user in page.users]

    async def job_statuses(self, ids: Sequence[str]) -> list[JobStatus]:
        """Jobs by id; a job Zendesk no longer keeps (about an hour) is left out."""
        pages = await self._show_many("/api/v2/job_statuses/show_many", _Jobs, ids)
        return [job for page in pages for job in page.job_statuses]

    # --- writing -------------------------------------------------------------------------

    async def create(self, body: Mapping[str, Any]) -> TicketAnswer:
        """``POST`` one ticket (never retried once sent: the marker search decides, G3)."""
        return _read(await self.send("POST", "/api/v2/tickets", body=body), TicketAnswer)

    async def update(
        self, ticket_id: str, ticket: Mapping[str, Any], *, appends: bool = False
    ) -> TicketAnswer:
        """``PUT`` one ticket. Absolute values are safe to resend; a comment appends.

        A 409 (a ``safe_update`` collision, or a concurrent update) is
        :class:`~itsmhub.RemoteChanged`: re-read, merge, write again.
        """
        try:
            response = await self.send(
                "PUT",
                f"/api/v2/tickets/{ticket_id}",
                body={"ticket": dict(ticket)},
                idempotent=not appends,
            )
        except RecordError as exc:
            if exc.status == 409:
                raise RemoteChanged(
                    f"ticket #{ticket_id} changed since it was last synced ({exc.message})",
                    status=409,
                ) from None
            raise
        return _read(response, TicketAnswer)

    async def create_many(self, tickets: Sequence[Mapping[str, Any]]) -> JobStatus:
        body = {"tickets": list(tickets)}
        response = await self.send("POST", "/api/v2/tickets/create_many", body=body)
        return _read(response, _JobAnswer).job_status

    async def update_many(self, tickets: Sequence[Mapping[str, Any]]) -> JobStatus:
        """Per-ticket values in one job; the job may run twice safely only without
        comments, which these updates never carry."""
        body = {"tickets": list(tickets)}
        response = await self.send("PUT", "/api/v2/tickets/update_many", body=body)
        return _read(response, _JobAnswer).job_status


class _UserAnswer(BaseModel):
    user: User


class _Users(BaseModel):
    users: list[User] = []


class _Tickets(BaseModel):
    tickets: list[Ticket] = []


class _JobAnswer(BaseModel):
    job_status: JobStatus


class _Jobs(BaseModel):
    job_statuses: list[JobStatus] = []


def _read(response: httpx.Response, model: type[M]) -> M:
    """The answer as ``model``. A 2xx that is not the API's JSON (a proxy's page, a cut
    body) is an UnexpectedAnswer, retried like a 5xx; the message says how it was broken,
    never what it held."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        request = response.request
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise UnexpectedAnswer(
            f"{request.method} {request.url.scheme}://{request.url.host}{request.url.path}: "
            f"Zendesk answered HTTP {response.status_code} with a body that is not the "
            f"expected JSON ({where}: {first['type']}; {kind}, {len(response.content)} bytes)",
            status=response.status_code,
        ) from None


__all__ = ["COMMENT_PAGE", "SHOW_MANY", "ZendeskClient", "make_auth", "rate_budgets"]
