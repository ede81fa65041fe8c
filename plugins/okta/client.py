"""A thin client of Okta's Management API: paths, ``limit``/``after`` paging by the
``Link: rel="next"`` header, and Okta's rate-limit headers (vendor-apis.md §5.3, §5.5).

Every call goes through :func:`itsmhub.send_with_retries`, so retries, the wait a 429's
``X-Rate-Limit-Reset`` asks for and the status → error table are the core's; a
:class:`~itsmhub.RateLimitState` with Okta's dialect pauses *before* a bucket runs out,
and the declared per-minute budgets keep the hub under Okta's published numbers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from itsmhub import (
    ConnectorContext,
    FatalError,
    PageGuard,
    RateBudget,
    RateLimitState,
    TransientError,
    build_client,
    read_ahead,
    send_with_retries,
)

from .auth import make_auth
from .dialect import OKTA
from .settings import OktaSettings

Sleep = Callable[[float], Awaitable[None]]
Params = Mapping[str, str | int]


def rate_budgets(settings: OktaSettings) -> list[RateBudget]:
    """The per-minute buckets from the settings, as budgets the client paces under."""
    limits = settings.rate_limits
    paths = {
        "users": ("/api/v1/users", limits.users),
        "user": ("/api/v1/users/*", limits.user),
        "groups": ("/api/v1/groups*", limits.groups),
        "devices": ("/api/v1/devices*", limits.devices),
        "logs": ("/api/v1/logs", limits.logs),
    }
    return [
        RateBudget(name=f"okta {name}", requests=count, per=60.0, path=path)
        for name, (path, count) in paths.items()
        if count > 0
    ]


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, and the path (with query) of the next page."""

    items: list[dict[str, Any]]
    next: str | None
    date: str | None = None


class OktaClient:
    """Management API calls for one org; resources come back as Okta sends them."""

    def __init__(
        self,
        settings: OktaSettings,
        context: ConnectorContext,
        *,
        sleep: Sleep = anyio.sleep,
        auth: httpx.Auth | None = None,
        budgets: list[RateBudget] | None = None,
    ) -> None:
        self.context = context
        self.sleep = sleep
        self.base = httpx.URL(str(settings.org_url).rstrip("/"))
        self.pacer = RateLimitState(
            dialect=OKTA, sleep=sleep, clock=lambda: context.clock().timestamp()
        )
        self.http = build_client(
            context.http,
            base_url=self.base,
            auth=auth or make_auth(settings, context),
            transport=context.transport,
            pacer=self.pacer,
            dialect=OKTA,
            budgets=rate_budgets(settings) if budgets is None else budgets,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def get(
        self, path: str, params: Params | None = None, *, absent_ok: bool = False
    ) -> httpx.Response:
        """One GET with retries; ``absent_ok`` lets a 404 through as an answer."""
        return await send_with_retries(
            self.http,
            "GET",
            path,
            settings=self.context.http,
            overrides={404: None} if absent_ok else None,
            sleep=self.sleep,
            clock=lambda: self.context.clock().timestamp(),
            # No params at all for a next link: httpx would replace its query with {}.
            **({"params": dict(params)} if params else {}),
        )

    async def resource(self, path: str) -> dict[str, Any] | None:
        """One resource, or None if Okta has no such thing (404)."""
        response = await self.get(path, absent_ok=True)
        if response.status_code == 404:
            return None
        return _json(response, dict)

    async def page(self, target: str, params: Params | None = None) -> Page:
        """One page of a list; ``target`` is a path, or a ``next`` page as :attr:`Page.next`."""
        response = await self.get(target, params)
        return Page(
            items=_json(response, list),
            next=self._next(response),
            date=response.headers.get("Date"),
        )

    async def pages(self, path: str, params: Params, what: str) -> AsyncIterator[Page]:
        """Every page of a list, following ``next`` until there is none.

        The pages are read ahead (:func:`itsmhub.read_ahead`): each next link is
        followed as soon as its page arrives (Okta's time) while the caller maps and
        stores the pages before (the hub's).
        """
        guard = PageGuard(what)

        def following(page: Page) -> Callable[[], Awaitable[Page]] | None:
            target = page.next
            if target is None:
                return None
            guard.advance(target)  # a vendor handing back the same cursor must not loop
            return lambda: self.page(target)

        async with aclosing(read_ahead(lambda: self.page(path, params), following)) as pages:
            async for page in pages:
                yield page

    def _next(self, response: httpx.Response) -> str | None:
        """The ``next`` link's path and query, only if it points at this org: a URL from a
        response is never followed elsewhere (sync-guarantees B.5)."""
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        url = httpx.URL(link)
        if (url.host, url.port) != (self.base.host, self.base.port) and url.host:
            raise FatalError(
                f"Okta answered with a next page on another host ({url.host}); not followed",
                fix="check org_url: it must be the org's own address, not a redirect target",
            )
        return url.raw_path.decode()


def _json(response: httpx.Response, kind: type) -> Any:
    """The JSON body, which must be ``kind``; else the answer was broken on the way."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, kind):
        request = response.request
        content = response.headers.get("content-type", "no content type").split(";")[0]
        raise TransientError(
            f"GET {request.url.scheme}://{request.url.host}{request.url.path}: Okta answered "
            f"HTTP {response.status_code} with a body that is not a JSON {kind.__name__} "
            f"({content}, {len(response.content)} bytes)",
            status=response.status_code,
        )
    return data
