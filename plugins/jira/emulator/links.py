"""Issue links, their types, and remote links upserted by ``globalId``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import render
from .common import NO_ISSUE, actor, issue_or_404, object_of, site_of
from .state import SiteError


async def link_types(request: Request) -> Response:
    site = site_of(request)
    return JSONResponse(
        {"issueLinkTypes": [render.link_type(site.base_url, t) for t in site.link_types]}
    )


def _linked(request: Request, value: Any) -> Any:
    site = site_of(request)
    if not isinstance(value, dict):
        raise SiteError(400, ["inwardIssue and outwardIssue are required."])
    found = site.issue(str(value.get("id") or value.get("key") or ""))
    if found is None:
        raise SiteError(404, [NO_ISSUE])
    return found


async def create_link(request: Request) -> Response:
    """201 with an empty body; the same link asked for again is answered the same."""
    site = site_of(request)
    data = await object_of(request)
    kind = site.link_type(data.get("type"))
    if kind is None:
        name = (data.get("type") or {}).get("name") if isinstance(data.get("type"), dict) else None
        raise SiteError(404, [f"No issue link type with name '{name}' found."])
    inward = _linked(request, data.get("inwardIssue"))
    outward = _linked(request, data.get("outwardIssue"))
    site.link(kind, inward, outward, actor=actor(request))
    return Response(status_code=201)


async def get_link(request: Request) -> Response:
    site = site_of(request)
    link = site.links.get(request.path_params["linkId"])
    if link is None:
        raise SiteError(404, ["No issue link with id exists."])
    kind = next(t for t in site.link_types if t.id == link.type_id)
    return JSONResponse(
        {
            "id": link.id,
            "self": f"{site.base_url}{render.API}/issueLink/{link.id}",
            "type": render.link_type(site.base_url, kind),
            "inwardIssue": render.linked_issue(site, site.issues[link.inward_id]),
            "outwardIssue": render.linked_issue(site, site.issues[link.outward_id]),
        }
    )


async def delete_link(request: Request) -> Response:
    site = site_of(request)
    link = site.links.get(request.path_params["linkId"])
    if link is None:
        raise SiteError(404, ["No issue link with id exists."])
    site.unlink(link, actor=actor(request))
    return Response(status_code=204)


async def remote_links(request: Request) -> Response:
    """All of an issue's remote links (an array), or with ``globalId`` that one."""
    site = site_of(request)
    found = issue_or_404(request)
    wanted = request.query_params.get("globalId")
    links = list(found.remote_links.values())
    if wanted is None:
        return JSONResponse([render.remote_link(site, found, link) for link in links])
    link = next((x for x in links if x.global_id == wanted), None)
    if link is None:
        raise SiteError(404, ["No remote link with the given globalId exists."])
    return JSONResponse(render.remote_link(site, found, link))


async def put_remote_link(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    data = await object_of(request)
    target = data.get("object")
    errors = {}
    for name in ("url", "title"):
        if (
            not isinstance(target, dict)
            or not isinstance(target.get(name), str)
            or not target[name]
        ):
            errors[name] = f"'{name}' is required."
    if errors:
        raise SiteError(400, errors=errors)
    link, new = site.put_remote_link(found, data)
    body = {
        "id": link.id,
        "self": f"{site.base_url}{render.API}/issue/{found.id}/remotelink/{link.id}",
    }
    return JSONResponse(body, status_code=201 if new else 200)


async def delete_remote_link(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    wanted = request.query_params.get("globalId")
    if not wanted:
        raise SiteError(400, ["The globalId parameter is required."])
    link = next((x for x in found.remote_links.values() if x.global_id == wanted), None)
    if link is None:
        raise SiteError(404, ["No remote link with the given globalId exists."])
    site.delete_remote_link(found, link)
    return Response(status_code=204)


async def delete_remote_link_by_id(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    link = found.remote_links.get(int(request.path_params["linkId"]))
    if link is None:
        raise SiteError(404, ["No remote link with the given id exists."])
    site.delete_remote_link(found, link)
    return Response(status_code=204)


__all__ = [
    "create_link",
    "delete_link",
    "delete_remote_link",
    "delete_remote_link_by_id",
    "get_link",
    "link_types",
    "put_remote_link",
    "remote_links",
]
