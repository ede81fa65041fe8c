"""The Starlette app: the Support API routes behind the toolkit's gate.

In front of the gate, :class:`Front` does what Zendesk's front end does besides: it
accepts paths with or without ``.json``, moves background jobs on by the clock before
each request, and sends the webhook deliveries a request caused once it is answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from itsmhub.emulation import ADMIN_PREFIX, Gate, admin_routes

from . import api, background, incremental
from .errors import error, gate_error
from .hooks import Delivery
from .seed import SeededComment, Seeder, seed_account
from .support import Support

TOKEN_PATH = "/oauth/tokens"  # noqa: S105 (a URL path, not a secret)


class Front:
    """``.json`` suffixes, job progress and webhook deliveries around the gated app."""

    def __init__(self, app: ASGIApp, support: Support) -> None:
        self.app = app
        self.support = support

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.endswith(".json"):
            scope = dict(scope, path=path.removesuffix(".json"))
        if not path.startswith(ADMIN_PREFIX):
            self.support.jobs.advance_all()
        await self.app(scope, receive, send)
        if self.support.account.announcements:
            await self.support.sender.flush()


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods get Zendesk's JSON error body too."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return error(status if status in (404, 405) else 500)


def _api_routes() -> list[Route]:
    v2 = "/api/v2"
    return [
        Route(f"{v2}/tickets", api.list_tickets, methods=["GET"]),
        Route(f"{v2}/tickets", api.create_ticket, methods=["POST"]),
        Route(f"{v2}/tickets/show_many", api.show_many, methods=["GET"]),
        Route(f"{v2}/tickets/create_many", background.create_many, methods=["POST"]),
        Route(f"{v2}/tickets/update_many", background.update_many, methods=["PUT"]),
        Route(f"{v2}/tickets/{{ticket_id}}", api.show_ticket, methods=["GET"]),
        Route(f"{v2}/tickets/{{ticket_id}}", api.update_ticket, methods=["PUT"]),
        Route(f"{v2}/tickets/{{ticket_id}}", api.delete_ticket, methods=["DELETE"]),
        Route(f"{v2}/tickets/{{ticket_id}}/comments", api.list_comments, methods=["GET"]),
        Route(f"{v2}/tickets/{{ticket_id}}/incidents", api.list_incidents, methods=["GET"]),
        Route(f"{v2}/problems", api.list_problems, methods=["GET"]),
        Route(f"{v2}/users/me", api.me, methods=["GET"]),
        Route(f"{v2}/users/show_many", api.users_show_many, methods=["GET"]),
        Route(f"{v2}/incremental/tickets/cursor", incremental.tickets_cursor, methods=["GET"]),
        Route(f"{v2}/incremental/ticket_events", incremental.ticket_events, methods=["GET"]),
        Route(f"{v2}/job_statuses/show_many", background.job_statuses, methods=["GET"]),
        Route(f"{v2}/job_statuses/{{job_id}}", background.job_status, methods=["GET"]),
        Route(f"{v2}/webhooks", background.create_webhook, methods=["POST"]),
        Route(f"{v2}/webhooks", background.list_webhooks, methods=["GET"]),
        Route(f"{v2}/webhooks/{{webhook_id}}/signing_secret", background.signing_secret),
    ]


def _seeding_routes(support: Support) -> list[Route]:
    """``/_emulator`` extras: webhooks and story seeding over HTTP (for a served emulator
    the demo drives from another process)."""
    seeder = Seeder(support)

    async def webhooks(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"deliveries": [_delivery(d) for d in support.sender.deliveries]})
        data = await request.json()
        hook = support.sender.register(
            str(data["url"]), subscriptions=data.get("subscriptions"), secret=data.get("secret")
        )
        return JSONResponse({"id": hook.id, "secret": hook.secret}, status_code=201)

    async def users(request: Request) -> Response:
        data = await request.json()
        user = seeder.user(data["name"], data["email"], role=data.get("role", "end-user"))
        return JSONResponse({"id": user.id}, status_code=201)

    async def tickets(request: Request) -> Response:
        data: dict[str, Any] = await request.json()
        for name in ("created_at", "updated_at"):
            if data.get(name):
                data[name] = datetime.fromisoformat(str(data[name]))
        data["comments"] = [
            SeededComment(
                body=c["body"],
                author=c.get("author"),
                public=c.get("public", True),
                at=datetime.fromisoformat(c["at"]) if c.get("at") else None,
            )
            for c in data.get("comments", [])
        ]
        subject = data.pop("subject")
        ticket = seeder.ticket(subject, **data)
        return JSONResponse({"id": ticket.id}, status_code=201)

    p = ADMIN_PREFIX
    return [
        Route(f"{p}/webhooks", webhooks, methods=["GET", "POST"]),
        Route(f"{p}/users", users, methods=["POST"]),
        Route(f"{p}/tickets", tickets, methods=["POST"]),
    ]


def _delivery(delivery: Delivery) -> dict[str, Any]:
    return {
        "webhook_id": delivery.webhook_id,
        "event_type": delivery.event_type,
        "ticket_id": delivery.ticket_id,
        "status": delivery.status,
        "error": delivery.error,
    }


def build_app(support: Support) -> Front:
    """An ASGI app serving ``support``, which stays reachable as ``app.support``."""

    def reset(data: Mapping[str, Any]) -> None:
        support.reset()
        if data.get("seed") is not None:
            seed_account(support, int(data["seed"]), tickets=int(data.get("tickets", 50)))

    def state() -> dict[str, Any]:
        account = support.account
        return {
            "tickets": len(account.tickets),
            "users": len(account.users),
            "audits": len(account.audits),
            "jobs": {job.id: job.status for job in account.jobs.values()},
            "webhooks": len(account.webhooks),
            "queued_faults": len(support.controls.faults.queue),
        }

    routes = [
        *_api_routes(),
        Route(TOKEN_PATH, support.account.oauth.token_endpoint, methods=["POST"]),
        *admin_routes(support.controls, reset=reset, state=state),
        *_seeding_routes(support),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.support = support
    gate = Gate(
        app,
        controls=support.controls,
        error=gate_error,
        authenticate=support.authenticate,
        open_paths=(TOKEN_PATH,),
        user_key="zendesk.user",
    )
    return Front(gate, support)


__all__ = ["TOKEN_PATH", "Front", "build_app"]
