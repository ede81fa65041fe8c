"""The Starlette app: Jira Cloud's REST API v3 (the part a sync uses) behind the
toolkit's gate, with admin webhooks sent after each request."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from itsmhub.emulation import ADMIN_PREFIX, Gate, admin_routes

from . import comments, issues, links, people, search
from .common import USER_KEY, refusal
from .errors import error, gate_error, rate_headers
from .state import Site, SiteError

API = "/rest/api/3"
ISSUE = f"{API}/issue/{{issueIdOrKey}}"


def authenticator(site: Site) -> Callable[[Headers], str | None]:
    """Who a Basic ``email:api_token`` header proves, or None."""

    def authenticate(headers: Headers) -> str | None:
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            email, _, token = base64.b64decode(credentials).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        same_email = email.lower() == site.api_email.lower()
        if same_email and hmac.compare_digest(token.encode(), site.api_token.encode()):
            return site.api_user.account_id
        return None

    return authenticate


async def site_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SiteError)
    return refusal(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer in Jira's error shape too."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = "null for uri: " + request.url.path if status == 404 else "Method Not Allowed"
    return error(status, [message if status in (404, 405) else "Internal server error"])


ROUTES = [
    Route(f"{API}/myself", people.myself, methods=["GET"]),
    Route(f"{API}/search/jql", search.search_post, methods=["POST"]),
    Route(f"{API}/search/jql", search.search_get, methods=["GET"]),
    Route(f"{API}/search/approximate-count", search.approximate_count, methods=["POST"]),
    Route(f"{API}/issue", issues.create_issue, methods=["POST"]),
    Route(f"{API}/issue/bulk", issues.create_issues, methods=["POST"]),
    Route(ISSUE, issues.get_issue, methods=["GET"]),
    Route(ISSUE, issues.edit_issue, methods=["PUT"]),
    Route(f"{ISSUE}/transitions", issues.get_transitions, methods=["GET"]),
    Route(f"{ISSUE}/transitions", issues.do_transition, methods=["POST"]),
    Route(f"{ISSUE}/changelog", issues.get_changelog, methods=["GET"]),
    Route(f"{ISSUE}/properties/{{propertyKey}}", issues.get_property, methods=["GET"]),
    Route(f"{ISSUE}/properties/{{propertyKey}}", issues.put_property, methods=["PUT"]),
    Route(f"{ISSUE}/comment", comments.list_comments, methods=["GET"]),
    Route(f"{ISSUE}/comment", comments.add_comment, methods=["POST"]),
    Route(f"{ISSUE}/comment/{{id}}", comments.get_comment, methods=["GET"]),
    Route(f"{ISSUE}/comment/{{id}}", comments.update_comment, methods=["PUT"]),
    Route(f"{ISSUE}/remotelink", links.remote_links, methods=["GET"]),
    Route(f"{ISSUE}/remotelink", links.put_remote_link, methods=["POST"]),
    Route(f"{ISSUE}/remotelink", links.delete_remote_link, methods=["DELETE"]),
    Route(f"{ISSUE}/remotelink/{{linkId:int}}", links.delete_remote_link_by_id, methods=["DELETE"]),
    Route(f"{API}/issueLink", links.create_link, methods=["POST"]),
    Route(f"{API}/issueLink/{{linkId}}", links.get_link, methods=["GET"]),
    Route(f"{API}/issueLink/{{linkId}}", links.delete_link, methods=["DELETE"]),
    Route(f"{API}/issueLinkType", links.link_types, methods=["GET"]),
    Route(f"{API}/user/bulk", people.users_bulk, methods=["GET"]),
    Route(f"{API}/user/search", people.users_search, methods=["GET"]),
    Route(f"{API}/field", people.fields, methods=["GET"]),
    Route(f"{API}/project/{{projectIdOrKey}}", people.project, methods=["GET"]),
    Route(f"{API}/mypermissions", people.my_permissions, methods=["GET"]),
    Route("/rest/webhooks/1.0/webhook", people.register_webhook, methods=["POST"]),
    Route("/rest/webhooks/1.0/webhook", people.list_webhooks, methods=["GET"]),
    Route("/rest/webhooks/1.0/webhook/{hookId:int}", people.delete_webhook, methods=["DELETE"]),
]


class SiteApp:
    """The outermost layer: notes the URL the site is reached at (for ``self`` links),
    and sends the webhooks a request caused once it has been answered."""

    def __init__(self, app: ASGIApp, site: Site) -> None:
        self.app = app
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = Headers(scope=scope).get("host")
            if host:
                self.site.base_url = f"{scope.get('scheme', 'http')}://{host}"
        await self.app(scope, receive, send)
        if scope["type"] == "http" and not scope.get("path", "").startswith(ADMIN_PREFIX):
            await self.site.webhooks.flush()


def _webhook_admin(site: Site) -> list[Route]:
    async def deliveries(request: Request) -> Response:
        if request.method == "POST":
            return JSONResponse({"redelivered": await site.webhooks.redeliver()})
        shown = [
            {
                "identifier": d.identifier,
                "url": d.url,
                "status": d.status,
                "retries": d.retries,
                "error": d.error,
            }
            for d in [*site.webhooks.delivered, *site.webhooks.failed]
        ]
        return JSONResponse({"deliveries": shown, "failed": len(site.webhooks.failed)})

    return [Route(f"{ADMIN_PREFIX}/webhooks", deliveries, methods=["GET", "POST"])]


def build_app(
    site: Site, *, reseed: Callable[[Site, Mapping[str, Any]], None] | None = None
) -> SiteApp:
    """An ASGI app serving ``site`` (reachable again as ``app.site``)."""

    def reset(data: Mapping[str, Any]) -> None:
        site.reset()
        if data.get("seed") is not None and reseed is not None:
            reseed(site, data)

    def state() -> dict[str, Any]:
        return {
            "issues": len(site.issues),
            "users": len(site.users),
            "projects": sorted(site.projects),
            "webhooks": len(site.webhooks.hooks),
            "time_zone": site.api_user.time_zone,
            "queued_faults": len(site.controls.faults.queue),
        }

    site.controls.rate_limits.headers = rate_headers
    routes = [
        *ROUTES,
        *admin_routes(site.controls, reset=reset, state=state),
        *_webhook_admin(site),
    ]
    app = Starlette(
        routes=routes, exception_handlers={SiteError: site_error, HTTPException: http_error}
    )
    app.state.site = site
    gate = Gate(
        app,
        controls=site.controls,
        error=gate_error,
        authenticate=authenticator(site),
        user_key=USER_KEY,
    )
    return SiteApp(gate, site)


__all__ = ["ROUTES", "SiteApp", "authenticator", "build_app"]
