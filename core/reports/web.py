"""The live, read-only pages the daemon serves: ``/`` the connectors, ``/problems`` the
candidates and the problems rules opened, ``/report`` the report page (and
``/report.json``). Build the app with :func:`create_app`; the daemon mounts or serves it.

Every route only reads the store. Access is checked per request (``auth.BearerGuard``):
loopback peers only when no token is set, the bearer token for everyone when one is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..engine import Hub
from ..engine.rules_run import problem_candidates
from ..model import utcnow
from ..plugins import Plugins
from ..secrets import SecretReference
from .auth import BearerGuard, is_loopback
from .build import build_report, clustering_of
from .dimension import Dimension
from .html import environment, plotly_js, plotly_version, render_page
from .models import Report
from .overview import connector_statuses
from .period import parse_period

#: How far back the live pages look by default.
DEFAULT_WINDOW = "90d"
#: Candidates and rule-opened problems listed at most.
LISTED = 30


class PagesSettings(BaseModel):
    """Where the live pages listen, and the token they ask for beyond loopback."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="the address to bind; loopback by default")
    port: int = Field(8765, ge=1, le=65535)
    token: SecretReference | None = Field(
        None, description="a secret reference (env:NAME, file:PATH): required off loopback"
    )

    @model_validator(mode="after")
    def _token_off_loopback(self) -> PagesSettings:
        if self.token is None and not is_loopback(self.host):
            raise ValueError(
                f"pages bound to {self.host} need a token: set token = 'env:ITSMHUB_PAGES_TOKEN' "
                "(or another secret reference), or bind to 127.0.0.1"
            )
        return self

    def resolve_token(self, plugins: Plugins) -> SecretStr | None:
        return plugins.resolve_secret(self.token, key="token") if self.token else None


def create_app(
    hub: Hub, *, token: SecretStr | None = None, clock: Callable[[], datetime] = utcnow
) -> Starlette:
    """The pages over ``hub`` (its store and config; no connector is called)."""
    plotly_asset = f"assets/plotly-{plotly_version()}.min.js"

    async def overview(request: Request) -> Response:
        now = clock()
        statuses = await connector_statuses(hub.store, hub.config, now)
        return _page("overview.html", connectors=statuses, now=now)

    async def problems(request: Request) -> Response:
        since = clock() - timedelta(days=90)
        candidates = await problem_candidates(hub, since=since)
        opened = await hub.store.rule_problems(limit=LISTED)
        return _page("problems.html", candidates=candidates[:LISTED], opened=opened)

    async def report(request: Request) -> Response:
        found = await _report(request)
        if isinstance(found, Response):
            return found
        return HTMLResponse(render_page(found, script_src=plotly_asset, nav=True))

    async def report_json(request: Request) -> Response:
        found = await _report(request)
        if isinstance(found, Response):
            return found
        return JSONResponse(found.model_dump(mode="json"))

    async def _report(request: Request) -> Report | Response:
        now = clock()
        params = request.query_params
        try:
            since, until = parse_period(
                params.get("since", DEFAULT_WINDOW), params.get("until"), now=now
            )
            by = Dimension(params["by"]) if params.get("by") else None
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return await build_report(
            hub.store,
            since=since,
            until=until,
            by=by,
            clustering=clustering_of(hub.config),
            now=now,
        )

    async def asset(request: Request) -> Response:
        return Response(
            plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    routes = [
        Route("/", overview, methods=["GET"]),
        Route("/problems", problems, methods=["GET"]),
        Route("/report", report, methods=["GET"]),
        Route("/report.json", report_json, methods=["GET"]),
        Route(f"/{plotly_asset}", asset, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(BearerGuard, token=token)])


def _page(template: str, **context: object) -> HTMLResponse:
    html = environment().get_template(template).render(nav=True, **context)
    return HTMLResponse(html)


__all__ = ["PagesSettings", "create_app"]
