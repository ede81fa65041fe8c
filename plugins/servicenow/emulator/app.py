"""The Starlette app: the Table, Batch, Stats and OAuth APIs behind the toolkit's gate."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from itsmhub.emulation import Gate, admin_routes

from . import tableapi
from .batch import batch
from .errors import MAX_REQUEST_TARGET, error, gate_error, rate_headers
from .seed import seed_instance
from .state import COLUMNS, Instance

TOKEN_PATH = "/oauth_token.do"  # noqa: S105  (a URL path, not a secret)


def authenticator(instance: Instance):
    """Who a Basic or Bearer ``Authorization`` header proves, or None."""

    def authenticate(headers: Headers) -> str | None:
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credentials).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return user if user in instance.users and instance.users[user] == password else None
        if scheme.lower() == "bearer":
            return instance.oauth.user_for(credentials)
        return None

    return authenticate


class MethodOverride:
    """``X-HTTP-Method-Override`` turns a POST into the named method (vendor-apis.md §3.1)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.instance: Instance | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            override = Headers(scope=scope).get("x-http-method-override")
            if override:
                scope["method"] = override.upper()
        await self.app(scope, receive, send)


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods get the instance's JSON error body too."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = "Requested URI does not represent any resource" if status == 404 else "Error"
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    return error(status, message, str(detail))


def _table_routes(prefix: str) -> list[Route]:
    return [
        Route(f"{prefix}/table/{{table}}", tableapi.list_records, methods=["GET"]),
        Route(f"{prefix}/table/{{table}}", tableapi.create_record, methods=["POST"]),
        Route(f"{prefix}/table/{{table}}/{{sys_id}}", tableapi.get_record, methods=["GET"]),
        Route(
            f"{prefix}/table/{{table}}/{{sys_id}}",
            tableapi.update_record,
            methods=["PUT", "PATCH"],
        ),
        Route(f"{prefix}/table/{{table}}/{{sys_id}}", tableapi.delete_record, methods=["DELETE"]),
    ]


def build_app(instance: Instance) -> MethodOverride:
    """An ASGI app serving ``instance``, which stays reachable as ``app.instance``."""

    def reset(data: Mapping[str, Any]) -> None:
        instance.reset()
        if data.get("seed") is not None:
            seed_instance(instance, int(data["seed"]), incidents=int(data.get("incidents", 50)))

    def state() -> dict[str, Any]:
        counts = {table: len(instance.tables[table]) for table in COLUMNS}
        return {"tables": counts, "queued_faults": len(instance.controls.faults.queue)}

    instance.controls.rate_limits.headers = rate_headers
    routes = [
        *_table_routes("/api/now"),
        *_table_routes("/api/now/v1"),
        *_table_routes("/api/now/v2"),
        Route("/api/now/stats/{table}", tableapi.stats, methods=["GET"]),
        Route("/api/now/v1/stats/{table}", tableapi.stats, methods=["GET"]),
        Route("/api/now/v1/batch", batch, methods=["POST"]),
        Route(TOKEN_PATH, instance.oauth.token_endpoint, methods=["POST"]),
        *admin_routes(instance.controls, reset=reset, state=state),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.instance = instance
    app.state.inner = app.router
    gate = Gate(
        app,
        controls=instance.controls,
        error=gate_error,
        authenticate=authenticator(instance),
        open_paths=(TOKEN_PATH,),
        max_target=MAX_REQUEST_TARGET,
        user_key="servicenow.user",
    )
    outer = MethodOverride(gate)
    outer.instance = instance
    return outer
