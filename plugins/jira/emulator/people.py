"""The site around the issues: the API user, accounts, fields, projects, permissions,
and the admin webhook registry (``/rest/webhooks/1.0``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import render
from .common import actor, integer, object_of, paging, site_of
from .state import SiteError

PERMISSIONS = {
    "BROWSE_PROJECTS": "Browse Projects",
    "CREATE_ISSUES": "Create Issues",
    "EDIT_ISSUES": "Edit Issues",
    "TRANSITION_ISSUES": "Transition Issues",
    "ADD_COMMENTS": "Add Comments",
    "EDIT_OWN_COMMENTS": "Edit Own Comments",
    "EDIT_ALL_COMMENTS": "Edit All Comments",
    "LINK_ISSUES": "Link Issues",
    "ASSIGN_ISSUES": "Assign Issues",
    "RESOLVE_ISSUES": "Resolve Issues",
}


async def myself(request: Request) -> Response:
    site = site_of(request)
    return JSONResponse(render.user(site, actor(request), full=True))


async def users_bulk(request: Request) -> Response:
    """Accounts by ``accountId`` (repeated), a page of them."""
    site = site_of(request)
    ids = request.query_params.getlist("accountId")
    if not ids:
        raise SiteError(400, ["At least one accountId is required."])
    start, limit = paging(request, 10, 200)
    known = [i for i in dict.fromkeys(ids) if i in site.users]
    page = known[start : start + limit]
    done = start + len(page) >= len(known)
    base = f"{site.base_url}{render.API}/user/bulk"
    body = {
        "self": f"{base}?startAt={start}&maxResults={limit}",
        "maxResults": limit,
        "startAt": start,
        "total": len(known),
        "isLast": done,
        "values": [render.user(site, i, full=True) for i in page],
    }
    if not done:
        body["nextPage"] = f"{base}?startAt={start + limit}&maxResults={limit}"
    return JSONResponse(body)


async def users_search(request: Request) -> Response:
    """Accounts whose name or e-mail starts with ``query`` (hidden e-mails match too,
    but are not shown)."""
    site = site_of(request)
    query = (request.query_params.get("query") or "").lower()
    if not query and not request.query_params.get("accountId"):
        raise SiteError(400, ["One of 'query', 'accountId' or 'property' must be given."])
    wanted = request.query_params.get("accountId")
    found = [
        u
        for u in site.users.values()
        if (wanted and u.account_id == wanted)
        or (
            query
            and (
                u.display_name.lower().startswith(query)
                or (u.email or "").lower().startswith(query)
            )
        )
    ]
    limit = integer(request, "maxResults", 50, low=1, high=1000)
    return JSONResponse([render.user(site, u, full=True) for u in found[:limit]])


async def fields(request: Request) -> Response:
    site = site_of(request)
    out = []
    for spec in site.fields.values():
        schema: dict[str, object] = {"type": spec.type}
        if spec.items:
            schema["items"] = spec.items
        if spec.is_custom:
            schema["custom"] = spec.custom or ""
            schema["customId"] = int(spec.id.removeprefix("customfield_"))
        else:
            schema["system"] = spec.id
        out.append(
            {
                "id": spec.id,
                "key": spec.id,
                "name": spec.name,
                "custom": spec.is_custom,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [spec.id] if spec.is_custom else [spec.id.lower()],
                "schema": schema,
            }
        )
    return JSONResponse(out)


async def project(request: Request) -> Response:
    site = site_of(request)
    found = site.project_of(request.path_params["projectIdOrKey"]) or site.project_of(
        {"id": request.path_params["projectIdOrKey"]}
    )
    if found is None:
        raise SiteError(404, ["No project could be found with key or id given."])
    base = site.base_url
    return JSONResponse(
        {
            "self": f"{base}{render.API}/project/{found.id}",
            "id": found.id,
            "key": found.key,
            "name": found.name,
            "projectTypeKey": found.type_key,
            "simplified": False,
            "style": "classic",
            "isPrivate": False,
            "issueTypes": [
                {
                    "self": f"{base}{render.API}/issuetype/{t.id}",
                    "id": t.id,
                    "name": t.name,
                    "description": f"{t.name} issue type",
                    "iconUrl": f"{base}/images/icons/issuetypes/generic.svg",
                    "subtask": False,
                    "hierarchyLevel": 0,
                }
                for t in found.issue_types.values()
            ],
            "components": [
                {"self": f"{base}{render.API}/component/{cid}", "id": cid, "name": name}
                for name, cid in found.components.items()
            ],
        }
    )


async def my_permissions(request: Request) -> Response:
    site = site_of(request)
    wanted = [p for p in (request.query_params.get("permissions") or "").split(",") if p]
    if not wanted:
        raise SiteError(400, ["The permissions query parameter is required."])
    key = request.query_params.get("projectKey")
    if key is not None and site.project_of(key) is None:
        raise SiteError(404, [f"No project could be found with key '{key}'."])
    unknown = [p for p in wanted if p not in PERMISSIONS]
    if unknown:
        raise SiteError(400, [f"Unrecognized permission keys: {', '.join(unknown)}"])
    return JSONResponse(
        {
            "permissions": {
                p: {
                    "id": str(n + 10),
                    "key": p,
                    "name": PERMISSIONS[p],
                    "type": "PROJECT",
                    "description": PERMISSIONS[p],
                    "havePermission": p not in site.denied,
                }
                for n, p in enumerate(wanted)
            }
        }
    )


async def register_webhook(request: Request) -> Response:
    site = site_of(request)
    try:
        hook = site.webhooks.register(await object_of(request))
    except ValueError as exc:
        raise SiteError(400, [str(exc)]) from None
    return JSONResponse(hook.describe(site.base_url), status_code=201)


async def list_webhooks(request: Request) -> Response:
    site = site_of(request)
    return JSONResponse([h.describe(site.base_url) for h in site.webhooks.hooks.values()])


async def delete_webhook(request: Request) -> Response:
    site = site_of(request)
    if site.webhooks.hooks.pop(int(request.path_params["hookId"]), None) is None:
        raise SiteError(404, ["No webhook with this id."])
    return Response(status_code=204)


__all__ = [
    "delete_webhook",
    "fields",
    "list_webhooks",
    "my_permissions",
    "myself",
    "project",
    "register_webhook",
    "users_bulk",
    "users_search",
]
