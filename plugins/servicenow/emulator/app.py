"""The Starlette app: routes, authentication, OAuth, faults and the admin API."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import tableapi
from .batch import batch
from .faults import DroppedConnection, Fault, RateLimitRule
from .seed import seed_instance
from .state import COLUMNS, Instance

TOKEN_LIFETIME = 1799
FAULT_MESSAGES = {
    429: "Rate limit exceeded",
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def authenticate(instance: Instance, headers: Headers) -> str | None:
    """The user a Basic or Bearer ``Authorization`` header proves, or None."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(credentials).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if user in instance.users and instance.users[user] == password else None
    if scheme.lower() == "bearer":
        user, expires = instance.tokens.get(credentials, ("", 0.0))
        return user if user and expires > instance.clock().timestamp() else None
    return None


class Gate:
    """Applies queued faults, authentication and rate-limit rules before routing."""

    def __init__(self, app: ASGIApp, instance: Instance) -> None:
        self.app = app
        self.instance = instance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        faults = self.instance.faults
        fault = faults.take()
        if fault is not None:
            if fault.delay:
                await faults.sleep(fault.delay)
            if fault.drop:
                # Servers answer 500 to an exception before the response starts; after
                # it they close the connection, which is the fault wanted here.
                await send({"type": "http.response.start", "status": 200, "headers": []})
                raise DroppedConnection(path)
            if fault.status:
                headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
                message = FAULT_MESSAGES.get(fault.status, "Error")
                reply = tableapi.error(fault.status, message, "Injected fault", **headers)
                await reply(scope, receive, send)
                return
        if path != "/oauth_token.do":
            user = authenticate(self.instance, Headers(scope=scope))
            if user is None:
                reply = tableapi.error(
                    401, "User Not Authenticated", "Required to provide Auth information"
                )
                await reply(scope, receive, send)
                return
            scope["servicenow.user"] = user
        override = Headers(scope=scope).get("x-http-method-override")
        if override and scope["method"] == "POST":
            scope["method"] = override.upper()
        verdict = faults.limit(scope["method"], path)
        if verdict.status:
            reply = tableapi.error(429, "Rate limit exceeded", verdict.detail, **verdict.headers)
            await reply(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and verdict.headers:
                headers = MutableHeaders(scope=message)
                for key, value in verdict.headers.items():
                    headers[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def oauth_token(request: Request) -> Response:
    """``POST /oauth_token.do`` with the password, client_credentials or refresh_token grant."""
    instance: Instance = request.app.state.instance
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    client = form.get("client_id", "")
    user: str | None = None
    if instance.oauth_clients.get(client) == form.get("client_secret") and client:
        grant = form.get("grant_type")
        if grant == "password":
            name = form.get("username", "")
            if name in instance.users and instance.users[name] == form.get("password"):
                user = name
        elif grant == "client_credentials":
            user = client
        elif grant == "refresh_token":
            user = instance.refresh_tokens.get(form.get("refresh_token", ""))
    if user is None:
        return JSONResponse({"error_description": "access_denied", "error": "server_error"}, 401)
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    instance.tokens[access] = (user, instance.clock().timestamp() + TOKEN_LIFETIME)
    instance.refresh_tokens[refresh] = user
    return JSONResponse(
        {
            "access_token": access,
            "refresh_token": refresh,
            "scope": form.get("scope", "useraccount"),
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
        }
    )


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    return dict(await request.json()) if body else {}


async def admin_faults(request: Request) -> Response:
    """Queue faults: ``{"status": 503, "count": 2}``, ``{"delay": 1.5}``, ``{"drop": true}``."""
    faults = request.app.state.instance.faults
    if request.method == "DELETE":
        faults.queue.clear()
        return Response(status_code=204)
    data = await _json(request)
    fault = Fault(
        status=data.get("status"),
        delay=float(data.get("delay", 0)),
        drop=bool(data.get("drop", False)),
        retry_after=int(data.get("retry_after", 1)),
    )
    faults.inject(fault, int(data.get("count", 1)))
    return JSONResponse({"queued": len(faults.queue)}, status_code=201)


async def admin_rate_limits(request: Request) -> Response:
    """Add a rule ``{"limit": 100, "window": 3600, "path_prefix": "/api/now/"}``."""
    faults = request.app.state.instance.faults
    if request.method == "DELETE":
        faults.rules.clear()
        faults.counts.clear()
        return Response(status_code=204)
    data = await _json(request)
    rule = faults.add_rule(
        RateLimitRule(
            limit=int(data["limit"]),
            window=int(data.get("window", 3600)),
            path_prefix=data.get("path_prefix", "/api/now/"),
            methods=frozenset(m.upper() for m in data.get("methods", [])),
        )
    )
    return JSONResponse({"sys_id": rule.sys_id}, status_code=201)


async def admin_reset(request: Request) -> Response:
    """Empty the instance; ``{"seed": N}`` reseeds it."""
    instance: Instance = request.app.state.instance
    data = await _json(request)
    instance.reset()
    if data.get("seed") is not None:
        seed_instance(instance, int(data["seed"]), incidents=int(data.get("incidents", 50)))
    return Response(status_code=204)


async def admin_state(request: Request) -> Response:
    instance: Instance = request.app.state.instance
    counts = {table: len(instance.tables[table]) for table in COLUMNS}
    return JSONResponse({"tables": counts, "queued_faults": len(instance.faults.queue)})


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods get the instance's JSON error body too."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = "Requested URI does not represent any resource" if status == 404 else "Error"
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    return tableapi.error(status, message, str(detail))


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


def build_app(instance: Instance) -> ASGIApp:
    """An ASGI app serving ``instance``; the instance stays reachable as ``app.state``."""
    routes = [
        *_table_routes("/api/now"),
        *_table_routes("/api/now/v1"),
        *_table_routes("/api/now/v2"),
        Route("/api/now/stats/{table}", tableapi.stats, methods=["GET"]),
        Route("/api/now/v1/stats/{table}", tableapi.stats, methods=["GET"]),
        Route("/api/now/v1/batch", batch, methods=["POST"]),
        Route("/oauth_token.do", oauth_token, methods=["POST"]),
        Route("/_emulator/faults", admin_faults, methods=["POST", "DELETE"]),
        Route("/_emulator/rate_limits", admin_rate_limits, methods=["POST", "DELETE"]),
        Route("/_emulator/reset", admin_reset, methods=["POST"]),
        Route("/_emulator/state", admin_state, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.instance = instance
    app.state.inner = app.router
    return Gate(app, instance)
