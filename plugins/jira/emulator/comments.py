"""``/rest/api/3/issue/{issue}/comment…``: ADF bodies, JSM's internal notes (the
``sd.public.comment`` property, read back as ``jsdPublic``) and group or role visibility."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import render
from .common import actor, issue_or_404, object_of, paging, site_of
from .fields import is_adf
from .model import Comment, Issue
from .state import SiteError

INTERNAL = "sd.public.comment"
MAX_BODY = 32767


def _visibility(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in ("group", "role"):
        raise SiteError(400, errors={"visibility": "Visibility type must be 'group' or 'role'."})
    return {k: value[k] for k in ("type", "value", "identifier") if k in value}


def _read(data: dict[str, Any]) -> tuple[dict[str, Any], bool | None, dict[str, Any] | None]:
    """The body, whether it is internal (None: not said) and its visibility."""
    body = data.get("body")
    if not is_adf(body) or not body.get("content"):
        raise SiteError(400, errors={"comment": "Comment body can not be empty!"})
    if len(str(body)) > MAX_BODY * 4:
        raise SiteError(413, ["The comment is too large."])
    internal = None
    for prop in data.get("properties") or []:
        if isinstance(prop, dict) and prop.get("key") == INTERNAL:
            value = prop.get("value")
            internal = bool(value.get("internal")) if isinstance(value, dict) else False
    return body, internal, _visibility(data.get("visibility"))


def _find(found: Issue, comment_id: str) -> Comment:
    note = next((c for c in found.comments if c.id == comment_id), None)
    if note is None:
        raise SiteError(404, [f"Can not find a comment for key: {comment_id}."])
    return note


async def list_comments(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    start, limit = paging(request, 100, 100)
    order = request.query_params.get("orderBy", "created")
    if order not in ("created", "+created", "-created"):
        raise SiteError(400, [f"Invalid orderBy value '{order}'."])
    notes = sorted(found.comments, key=lambda c: (c.created, int(c.id)))
    if order == "-created":
        notes.reverse()
    page = notes[start : start + limit]
    return JSONResponse(
        {
            "startAt": start,
            "maxResults": limit,
            "total": len(notes),
            "comments": [render.comment(site, found, c) for c in page],
        }
    )


async def add_comment(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    body, internal, visibility = _read(await object_of(request))
    note = site.add_comment(
        found, body, author=actor(request), internal=bool(internal), visibility=visibility
    )
    return JSONResponse(render.comment(site, found, note), status_code=201)


async def get_comment(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    return JSONResponse(render.comment(site, found, _find(found, request.path_params["id"])))


async def update_comment(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    note = _find(found, request.path_params["id"])
    data = await object_of(request)
    body, internal, visibility = _read(data)
    site.update_comment(
        found,
        note,
        body,
        author=actor(request),
        internal=internal,
        visibility=visibility if "visibility" in data else None,
    )
    return JSONResponse(render.comment(site, found, note))


__all__ = ["add_comment", "get_comment", "list_comments", "update_comment"]
