"""The Users, Groups and Devices routes (vendor-apis.md §5.2)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import paging
from .errors import error, invalid_search, not_found
from .query import InvalidQuery, lookup, parse
from .state import Org, Resource

#: The attributes ``filter`` accepts on users and groups (search takes any).
USER_FILTER = (
    "status",
    "lastUpdated",
    "id",
    "profile.login",
    "profile.email",
    "profile.firstName",
    "profile.lastName",
)
GROUP_FILTER = ("id", "type", "lastUpdated", "lastMembershipUpdated")


def org_of(request: Request) -> Org:
    return request.app.state.org


def _by_id(item: dict[str, Any]) -> tuple[str, ...]:
    return (item["id"],)


def _paged(
    request: Request,
    items: list[Resource],
    *,
    key: paging.Key = _by_id,
    default: int,
    maximum: int,
    render: Any = None,
) -> Response:
    limit = paging.limit_of(request, default, maximum)
    try:
        chunk, after = paging.page(items, key, request.query_params.get("after"), limit)
    except paging.BadCursor:
        return error(400, "Api validation failed: after", ["after: the cursor is not valid"])
    body = [render(item) if render else item for item in chunk]
    return paging.listing(request, body, after)


def _selected(
    request: Request, items: list[Resource], allowed_filter: tuple[str, ...]
) -> list[Resource] | Response:
    """Items matching ``search`` or ``filter`` (a 400 if the expression is refused)."""
    params = request.query_params
    try:
        if "search" in params:
            predicate = parse(params["search"])
        elif "filter" in params:
            predicate = parse(params["filter"], allowed=allowed_filter)
        else:
            return items
    except InvalidQuery as exc:
        return invalid_search(str(exc))
    return [item for item in items if predicate(item)]


# --- users ---------------------------------------------------------------------------------


async def list_users(request: Request) -> Response:
    """``search`` (any attribute, sortable), ``filter`` (a few attributes), ``q`` (name or
    e-mail prefix, no paging), or the plain list, which leaves out deprovisioned users."""
    org, params = org_of(request), request.query_params
    users = list(org.users.values())
    if "q" in params and "search" not in params and "filter" not in params:
        prefix = params["q"].lower()
        fields = ("firstName", "lastName", "email")
        found = [
            u
            for u in users
            if any(str(u["profile"].get(f, "")).lower().startswith(prefix) for f in fields)
        ]
        limit = paging.limit_of(request, 10, 200)
        return JSONResponse(sorted(found, key=lambda u: u["id"])[:limit])
    selected = _selected(request, users, USER_FILTER)
    if isinstance(selected, Response):
        return selected
    if "search" not in params and "filter" not in params:
        selected = [u for u in selected if u["status"] != "DEPROVISIONED"]
    key = _by_id
    sort_by = params.get("sortBy")
    if sort_by and "search" in params:
        if params.get("sortOrder", "asc").lower() != "asc":
            return error(400, "Api validation failed: sortOrder", ["only asc is emulated"])
        key = _sort_key(sort_by)
    return _paged(request, selected, key=key, default=200, maximum=200)


def _sort_key(attribute: str) -> paging.Key:
    return lambda item: (str(lookup(item, attribute) or ""), item["id"])


def _user(request: Request, param: str = "id") -> Resource | Response:
    """The user a path names (by id, login or short name), or Okta's 404."""
    user = org_of(request).find_user(request.path_params[param])
    return user if user is not None else not_found(f"{request.path_params[param]} (User)")


async def get_user(request: Request) -> Response:
    user = _user(request)
    if isinstance(user, Response):
        return user
    return JSONResponse(user, headers={"ETag": f'W/"{user["lastUpdated"]}"'})


async def user_groups(request: Request) -> Response:
    user = _user(request)
    if isinstance(user, Response):
        return user
    return _paged(request, org_of(request).groups_of(user["id"]), default=10000, maximum=10000)


#: What a profile attribute may hold.
PROFILE_VALUE = (str, int, float, bool, list, type(None))


async def update_user(request: Request) -> Response:
    """``POST /api/v1/users/{id}``: a partial update; the profile attributes given replace
    those held (``null`` removes one), the others stay (Okta's "Update a user")."""
    user = _user(request)
    if isinstance(user, Response):
        return user
    try:
        body = await request.json()
    except ValueError:
        return error(400, "The request body was not well-formed.", code="E0000003")
    profile = body.get("profile") if isinstance(body, dict) else None
    if not isinstance(profile, dict) or not profile:
        return error(400, "Api validation failed: profile", ["profile: give the attributes"])
    causes = [f"{k}: not a value" for k, v in profile.items() if not isinstance(v, PROFILE_VALUE)]
    causes += [
        f"{k}: cannot be empty" for k in ("login", "email") if profile.get(k, "-") in ("", None)
    ]
    if causes:
        return error(400, "Api validation failed: profile", sorted(causes))
    updated = org_of(request).update_user(user["id"], **profile)
    return JSONResponse(updated, headers={"ETag": f'W/"{updated["lastUpdated"]}"'})


async def user_devices(request: Request) -> Response:
    """``GET /api/v1/users/{userId}/devices``: the user's devices, one entry each."""
    org, user = org_of(request), _user(request, "userId")
    if isinstance(user, Response):
        return user
    entries = [
        {"created": users[user["id"]], "device": org.devices[device_id], "deviceUserId": device_id}
        for device_id, users in sorted(org.device_users.items())
        if user["id"] in users and device_id in org.devices
    ]
    return JSONResponse(entries)


# --- groups --------------------------------------------------------------------------------


async def list_groups(request: Request) -> Response:
    org, params = org_of(request), request.query_params
    groups = list(org.groups.values())
    if "q" in params:
        prefix = params["q"].lower()
        found = [g for g in groups if g["profile"]["name"].lower().startswith(prefix)]
        return JSONResponse(sorted(found, key=lambda g: g["id"])[:300])
    selected = _selected(request, groups, GROUP_FILTER)
    if isinstance(selected, Response):
        return selected
    return _paged(request, selected, default=10000, maximum=10000)


async def group_users(request: Request) -> Response:
    org = org_of(request)
    group_id = request.path_params["groupId"]
    if group_id not in org.groups:
        return not_found(f"{group_id} (UserGroup)")
    users = [org.users[u] for u in org.members[group_id] if u in org.users]
    return _paged(request, users, default=1000, maximum=1000)


# --- devices -------------------------------------------------------------------------------


def _device_users(org: Org, device_id: str, *, summary: bool = False) -> list[Resource]:
    out = []
    for user_id, created in org.device_users.get(device_id, {}).items():
        user = org.users.get(user_id)
        if user is None:
            continue
        if summary:
            keep = ("firstName", "lastName", "login", "email")
            user = {"id": user["id"], "profile": {k: user["profile"].get(k) for k in keep}}
        entry = {
            "created": created,
            "managementStatus": "MANAGED",
            "screenLockType": "BIOMETRIC",
            "user": user,
        }
        out.append(entry)
    return out


async def list_devices(request: Request) -> Response:
    """``search`` over any device attribute; ``expand=user`` embeds the device's users."""
    org = org_of(request)
    expand = request.query_params.get("expand")
    if expand not in (None, "user", "userSummary"):
        return error(400, "Api validation failed: expand", ["expand: user or userSummary"])
    selected = _selected(request, list(org.devices.values()), ())
    if isinstance(selected, Response):
        return selected

    def render(device: Resource) -> Resource:
        if expand is None:
            return device
        users = _device_users(org, device["id"], summary=expand == "userSummary")
        return {**device, "_embedded": {"users": users}}

    return _paged(request, selected, default=200, maximum=200, render=render)


async def get_device(request: Request) -> Response:
    device = org_of(request).devices.get(request.path_params["deviceId"])
    if device is None:
        return not_found(f"{request.path_params['deviceId']} (Device)")
    return JSONResponse(device)


async def device_users(request: Request) -> Response:
    org = org_of(request)
    device_id = request.path_params["deviceId"]
    if device_id not in org.devices:
        return not_found(f"{device_id} (Device)")
    return JSONResponse(_device_users(org, device_id))
