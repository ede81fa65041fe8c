"""Event hooks (vendor-apis.md §5.7): registration, the one-time verification GET, and
delivery of System Log events to the hook's URI with its shared ``Authorization`` value.

Okta delivers on its own schedule; here delivery happens when asked
(:func:`deliver_events`, or ``POST /_emulator/okta/deliver``), so tests and the demo
decide when a nudge arrives.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .directory import org_of
from .errors import error, not_found
from .state import Org, Resource

HookClient = Callable[[], httpx.AsyncClient]
"""Builds the client hooks are called with (tests hand in an in-process transport)."""


def _public(hook: Resource) -> Resource:
    """A hook as Okta shows it: the shared secret's value is never returned."""
    config = dict(hook["channel"]["config"])
    if "authScheme" in config:
        config["authScheme"] = {k: v for k, v in config["authScheme"].items() if k != "value"}
    shown = {k: v for k, v in hook.items() if not k.startswith("_state")}
    return {**shown, "channel": {**hook["channel"], "config": config}}


async def create_hook(request: Request) -> Response:
    org = org_of(request)
    try:
        body = await request.json()
        name = str(body["name"])
        items = [str(i) for i in body["events"]["items"]]
        channel = body["channel"]
        uri = str(channel["config"]["uri"])
    except (ValueError, KeyError, TypeError) as exc:
        return error(400, "Api validation failed: eventHook", [f"missing or invalid: {exc}"])
    moment = org.now()
    hook: Resource = {
        "id": "who" + secrets.token_hex(9),
        "name": name,
        "status": "ACTIVE",
        "verificationStatus": "UNVERIFIED",
        "events": {"type": "EVENT_TYPE", "items": items},
        "channel": {
            "type": "HTTP",
            "version": str(channel.get("version", "1.0.0")),
            "config": {
                "uri": uri,
                "headers": list(channel["config"].get("headers", [])),
                **(
                    {"authScheme": channel["config"]["authScheme"]}
                    if "authScheme" in channel["config"]
                    else {}
                ),
            },
        },
        "created": moment,
        "lastUpdated": moment,
        "createdBy": "00uadmin000000000000",
        "_state_delivered": len(org.events) - 1,
    }
    org.hooks[hook["id"]] = hook
    return JSONResponse(_public(hook))


async def list_hooks(request: Request) -> Response:
    return JSONResponse([_public(h) for h in org_of(request).hooks.values()])


async def get_hook(request: Request) -> Response:
    hook = org_of(request).hooks.get(request.path_params["eventHookId"])
    if hook is None:
        return not_found(f"{request.path_params['eventHookId']} (EventHook)")
    return JSONResponse(_public(hook))


def _headers(hook: Resource) -> dict[str, str]:
    config = hook["channel"]["config"]
    headers = {h["key"]: h["value"] for h in config.get("headers", []) if "key" in h}
    scheme = config.get("authScheme")
    if scheme and scheme.get("value"):
        headers[scheme.get("key", "Authorization")] = scheme["value"]
    return headers


async def verify_hook(request: Request) -> Response:
    """Send the one-time GET with ``X-Okta-Verification-Challenge``; the hook is verified
    if the answer echoes it as ``{"verification": …}``."""
    org = org_of(request)
    hook = org.hooks.get(request.path_params["eventHookId"])
    if hook is None:
        return not_found(f"{request.path_params['eventHookId']} (EventHook)")
    challenge = secrets.token_urlsafe(24)
    headers = {**_headers(hook), "X-Okta-Verification-Challenge": challenge}
    client: HookClient = request.app.state.hook_client
    try:
        async with client() as http:
            answer = await http.get(hook["channel"]["config"]["uri"], headers=headers)
        echoed = answer.status_code == 200 and answer.json().get("verification") == challenge
    except (httpx.HTTPError, ValueError, AttributeError):
        echoed = False
    if not echoed:
        return error(
            400,
            "Event hook verification failed.",
            ["the endpoint did not echo the verification challenge"],
            code="E0000001",
        )
    hook["verificationStatus"] = "VERIFIED"
    hook["lastUpdated"] = org.now()
    return JSONResponse(_public(hook))


def envelope(org: Org, hook: Resource, events: list[Resource]) -> dict[str, Any]:
    """The body Okta POSTs to a hook (CloudEvents-style; vendor-apis.md §5.7)."""
    return {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": f"{org.org_url}/api/v1/eventHooks/{hook['id']}",
        "eventId": secrets.token_hex(16),
        "eventTime": org.now(),
        "contentType": "application/json",
        "data": {"events": events},
    }


async def deliver_events(org: Org, client: HookClient) -> int:
    """POST the events each active, verified hook has not received yet; return how many
    deliveries were made. A hook that fails keeps its events for the next call."""
    made = 0
    for hook in org.hooks.values():
        if hook["status"] != "ACTIVE" or hook["verificationStatus"] != "VERIFIED":
            continue
        start = hook["_state_delivered"] + 1
        wanted = set(hook["events"]["items"])
        events = [e for e in org.events[start:] if e["eventType"] in wanted]
        if not events:
            hook["_state_delivered"] = len(org.events) - 1
            continue
        body = envelope(org, hook, events)
        try:
            async with client() as http:
                answer = await http.post(
                    hook["channel"]["config"]["uri"], json=body, headers=_headers(hook)
                )
        except httpx.HTTPError:
            continue
        if answer.status_code < 300:
            hook["_state_delivered"] = len(org.events) - 1
            made += 1
    return made
