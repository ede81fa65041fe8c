"""``/rest/api/3/issue…``: read, create (one or fifty), edit, transitions, changelog and
entity properties."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import render
from .common import actor, body_of, issue_or_404, object_of, paging, site_of
from .fields import read_fields
from .model import Issue
from .state import Site, SiteError

#: ``issueUpdates`` per bulk create (vendor-apis.md §2.2).
BULK_LIMIT = 50


def _fields_param(request: Request) -> list[str] | None:
    values = request.query_params.getlist("fields")
    return values or None


def _properties_param(request: Request) -> list[str]:
    return [p for v in request.query_params.getlist("properties") for p in v.split(",") if p]


async def get_issue(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    fields, excluded = render.wanted_fields(_fields_param(request), render.ALL)
    body = render.issue(
        site, found, fields=fields, excluded=excluded, properties=_properties_param(request)
    )
    if "changelog" in request.query_params.get("expand", ""):
        body["changelog"] = _changelog(site, found, 0, 100)
    return JSONResponse(body)


def _new_issue(site: Site, data: Any, who: str) -> Issue:
    """One element of a create: checked as a whole, so every error is named at once."""
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise SiteError(400, errors={"fields": "The issue has no fields."})
    fields = data["fields"]
    project = site.project_of(fields.get("project"))
    if project is None:
        raise SiteError(400, errors={"project": "Specify a valid project ID or key"})
    issue_type = project.issue_type(fields.get("issuetype"))
    if issue_type is None:
        raise SiteError(400, errors={"issuetype": "Specify a valid issue type"})
    values = read_fields(site, project, issue_type, fields, data.get("update"))
    if values.errors:
        raise SiteError(400, errors=values.errors)
    properties = {
        p["key"]: p.get("value")
        for p in data.get("properties") or []
        if isinstance(p, dict) and isinstance(p.get("key"), str)
    }
    return site.create_issue(
        project, issue_type, values.changes, actor=who, custom=values.custom, properties=properties
    )


def _created(site: Site, issue: Issue) -> dict[str, str]:
    return {
        "id": issue.id,
        "key": issue.key,
        "self": f"{site.base_url}{render.API}/issue/{issue.id}",
    }


async def create_issue(request: Request) -> Response:
    site = site_of(request)
    issue = _new_issue(site, await object_of(request), actor(request))
    return JSONResponse(_created(site, issue), status_code=201)


async def create_issues(request: Request) -> Response:
    """201 when at least one issue was made, 400 when none was; both list the refused
    elements by their index."""
    site = site_of(request)
    updates = (await object_of(request)).get("issueUpdates")
    refusal = None
    if not isinstance(updates, list) or not updates:
        refusal = "issueUpdates must list the issues to create."
    elif len(updates) > BULK_LIMIT:
        refusal = f"The number of issues to create ({len(updates)}) exceeds the limit of 50."
    if refusal is not None:  # the whole request: one error naming no element
        error = {"status": 400, "elementErrors": {"errorMessages": [refusal], "errors": {}}}
        return JSONResponse({"issues": [], "errors": [error]}, status_code=400)
    made: list[dict[str, str]] = []
    errors: list[dict[str, Any]] = []
    for number, data in enumerate(updates):
        try:
            made.append(_created(site, _new_issue(site, data, actor(request))))
        except SiteError as exc:
            errors.append(
                {
                    "status": exc.status,
                    "elementErrors": {"errorMessages": exc.messages, "errors": exc.errors},
                    "failedElementNumber": number,
                }
            )
    return JSONResponse({"issues": made, "errors": errors}, status_code=201 if made else 400)


async def edit_issue(request: Request) -> Response:
    """204, or 200 with the issue as ``GET`` shows it when ``returnIssue=true``."""
    site = site_of(request)
    found = issue_or_404(request)
    data = await object_of(request)
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise SiteError(400, errors={"fields": "fields must be an object"})
    project = site.projects[found.project]
    values = read_fields(
        site, project, site.issue_type_of(found), fields, data.get("update"), current=found
    )
    if values.errors:
        raise SiteError(400, errors=values.errors)
    site.edit(found, values.changes, actor=actor(request), custom=values.custom)
    if request.query_params.get("returnIssue", "").lower() == "true":
        return JSONResponse(render.issue(site, found, fields=None))
    return Response(status_code=204)


def _transition(site: Site, found: Issue, transition: Any, *, fields: bool) -> dict[str, Any]:
    workflow = site.issue_type_of(found).workflow
    target = workflow.status(transition.to)
    assert target is not None
    body: dict[str, Any] = {
        "id": transition.id,
        "name": transition.name,
        "to": render.status_details(site.base_url, target.id, target.name, target.category),
        "hasScreen": bool(transition.screen),
        "isGlobal": not transition.sources,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
        "looped": False,
    }
    if fields:
        body["fields"] = {
            name: {
                "required": True,
                "schema": {"type": "resolution", "system": "resolution"},
                "name": "Resolution",
                "key": name,
                "operations": ["set"],
            }
            for name in transition.screen
        }
    return body


async def get_transitions(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    expand = "transitions.fields" in request.query_params.get("expand", "")
    wanted = request.query_params.get("transitionId")
    shown = [
        _transition(site, found, t, fields=expand)
        for t in site.transitions(found)
        if wanted is None or t.id == wanted
    ]
    return JSONResponse({"expand": "transitions", "transitions": shown})


async def do_transition(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    data = await object_of(request)
    transition = data.get("transition")
    transition_id = transition.get("id") if isinstance(transition, dict) else None
    if not isinstance(transition_id, str | int):
        raise SiteError(400, ["Missing 'transition' identifier"])
    fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
    site.transition(found, str(transition_id), fields or {}, actor=actor(request))
    return Response(status_code=204)


def _changelog(site: Site, found: Issue, start: int, limit: int) -> dict[str, Any]:
    values = found.changelog[start : start + limit]
    done = start + len(values) >= len(found.changelog)
    base = f"{site.base_url}{render.API}/issue/{found.id}/changelog"
    body: dict[str, Any] = {
        "self": f"{base}?startAt={start}&maxResults={limit}",
        "maxResults": limit,
        "startAt": start,
        "total": len(found.changelog),
        "isLast": done,
        "values": [
            {
                "id": change.id,
                "author": render.user(site, change.author),
                "created": render.stamp(change.created),
                "items": change.items,
            }
            for change in values
        ],
    }
    if not done:
        body["nextPage"] = f"{base}?startAt={start + limit}&maxResults={limit}"
    return body


async def get_changelog(request: Request) -> Response:
    site = site_of(request)
    found = issue_or_404(request)
    start, limit = paging(request, 100, 100)
    return JSONResponse(_changelog(site, found, start, limit))


async def get_property(request: Request) -> Response:
    found = issue_or_404(request)
    key = request.path_params["propertyKey"]
    if key not in found.properties:
        raise SiteError(404, [f"The property with key '{key}' does not exist."])
    return JSONResponse({"key": key, "value": found.properties[key]})


async def put_property(request: Request) -> Response:
    """201 when new, 200 when replaced. Entity properties do not move ``updated``."""
    found = issue_or_404(request)
    key = request.path_params["propertyKey"]
    raw = await request.body()
    if len(raw) > 32768:
        raise SiteError(400, ["The property value is larger than 32768 bytes."])
    value = await body_of(request)
    new = key not in found.properties
    found.properties[key] = value
    return Response(status_code=201 if new else 200)


__all__ = [
    "BULK_LIMIT",
    "create_issue",
    "create_issues",
    "do_transition",
    "edit_issue",
    "get_changelog",
    "get_issue",
    "get_property",
    "get_transitions",
    "put_property",
]
