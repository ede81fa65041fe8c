"""The Starlette app: Okta's Users, Groups, Devices, System Log and Event Hook APIs and
the org authorization server's token endpoint, behind the toolkit's gate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from itsmhub.emulation import ADMIN_PREFIX, Gate, RateLimitRule, admin_routes

from .. import mapping_defaults as defaults
from . import directory, hooks, logs
from .errors import error, gate_error, rate_headers
from .hooks import HookClient, deliver_events
from .oauth import TOKEN_PATH, token
from .seed import seed_org
from .state import Org

#: Okta's per-minute buckets, by the paths they cover (sync-guarantees C.1).
BUCKETS = {
    "users": "/api/v1/users",
    "user": "/api/v1/users/*",
    "groups": "/api/v1/groups*",
    "devices": "/api/v1/devices*",
    "logs": "/api/v1/logs",
}


def authenticator(org: Org):
    """Who an ``SSWS`` API token or an OAuth ``Bearer`` token proves, or None."""

    def authenticate(headers: Headers) -> str | None:
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        if scheme == "SSWS":
            return "api-token" if credential.strip() in org.api_tokens else None
        if scheme.lower() == "bearer":
            return org.oauth.user_for(credential.strip())
        return None

    return authenticate


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods get Okta's error body too."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return error(status)


def install_buckets(org: Org, per_minute: Mapping[str, int] | None = None) -> None:
    """Okta's documented per-minute buckets, as rate-limit rules with Okta's headers."""
    assert org.controls is not None
    limits = org.controls.rate_limits
    for name, path in BUCKETS.items():
        limit = (per_minute or defaults.RATE_LIMITS_PER_MINUTE).get(name, 0)
        if limit:
            limits.add(RateLimitRule(limit=limit, window=60, path=path, reason=name))


def _story_routes(org: Org, hook_client: HookClient) -> list[Route]:
    """``/_emulator/okta/…``: seed people and devices, and deliver event hooks, over HTTP."""

    async def add_user(request: Request) -> Response:
        data = await request.json()
        groups = data.pop("groups", [])
        user = org.add_user(**data)
        for name in groups:
            group = next((g for g in org.groups.values() if g["profile"]["name"] == name), None)
            org.add_member((group or org.add_group(name))["id"], user["id"])
        return JSONResponse(user, status_code=201)

    async def add_device(request: Request) -> Response:
        data = await request.json()
        return JSONResponse(org.add_device(**data), status_code=201)

    async def deliver(request: Request) -> Response:
        return JSONResponse({"deliveries": await deliver_events(org, hook_client)})

    p = f"{ADMIN_PREFIX}/okta"
    return [
        Route(f"{p}/users", add_user, methods=["POST"]),
        Route(f"{p}/devices", add_device, methods=["POST"]),
        Route(f"{p}/deliver", deliver, methods=["POST"]),
    ]


def build_app(org: Org, *, rate_limits: bool = True, hook_client: HookClient | None = None) -> Gate:
    """An ASGI app serving ``org`` (reachable as ``app.org``). ``rate_limits`` installs
    Okta's per-minute buckets; ``hook_client`` builds the client event hooks are called
    with (default: a plain ``httpx.AsyncClient``)."""
    assert org.controls is not None
    client: HookClient = hook_client or (lambda: httpx.AsyncClient(timeout=3.0))

    def reset(data: Mapping[str, Any]) -> None:
        org.reset()
        if rate_limits:
            install_buckets(org)
        if data.get("seed") is not None:
            seed_org(org, int(data["seed"]), people=int(data.get("people", 40)))

    def state() -> dict[str, Any]:
        return {
            "users": len(org.users),
            "groups": len(org.groups),
            "devices": len(org.devices),
            "events": len(org.events),
            "event_hooks": len(org.hooks),
        }

    org.controls.rate_limits.headers = rate_headers
    if rate_limits:
        install_buckets(org)
    v1 = "/api/v1"
    routes = [
        Route(f"{v1}/users", directory.list_users, methods=["GET"]),
        Route(f"{v1}/users/{{id}}", directory.get_user, methods=["GET"]),
        Route(f"{v1}/users/{{id}}", directory.update_user, methods=["POST"]),
        Route(f"{v1}/users/{{id}}/groups", directory.user_groups, methods=["GET"]),
        Route(f"{v1}/users/{{userId}}/devices", directory.user_devices, methods=["GET"]),
        Route(f"{v1}/groups", directory.list_groups, methods=["GET"]),
        Route(f"{v1}/groups/{{groupId}}/users", directory.group_users, methods=["GET"]),
        Route(f"{v1}/devices", directory.list_devices, methods=["GET"]),
        Route(f"{v1}/devices/{{deviceId}}", directory.get_device, methods=["GET"]),
        Route(f"{v1}/devices/{{deviceId}}/users", directory.device_users, methods=["GET"]),
        Route(f"{v1}/logs", logs.list_events, methods=["GET"]),
        Route(f"{v1}/eventHooks", hooks.list_hooks, methods=["GET"]),
        Route(f"{v1}/eventHooks", hooks.create_hook, methods=["POST"]),
        Route(f"{v1}/eventHooks/{{eventHookId}}", hooks.get_hook, methods=["GET"]),
        Route(
            f"{v1}/eventHooks/{{eventHookId}}/lifecycle/verify", hooks.verify_hook, methods=["POST"]
        ),
        Route(TOKEN_PATH, token, methods=["POST"]),
        *_story_routes(org, client),
        *admin_routes(org.controls, reset=reset, state=state),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.org = org
    app.state.hook_client = client
    gate = Gate(
        app,
        controls=org.controls,
        error=gate_error,
        authenticate=authenticator(org),
        open_paths=(TOKEN_PATH,),
        user_key="okta.user",
    )
    gate.org = org  # type: ignore[attr-defined]
    return gate
