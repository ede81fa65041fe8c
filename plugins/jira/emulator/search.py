"""``/rest/api/3/search/jql`` (POST and GET) and ``/search/approximate-count``.

Pages are cut by an opaque ``nextPageToken`` (it names the query, where the page ended and
when it was issued; it expires after seven days, vendor-apis.md §2.2). Without ``fields``
an issue is its id alone; 100 issues make a page with fields, 5,000 with ids or keys only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import render
from .common import object_of, site_of
from .jql import Context, JqlError, Query, parse
from .state import Site, SiteError

DEFAULT_PAGE = 50
MAX_PAGE = 100
MAX_IDS_PAGE = 5000
TOKEN_LIFETIME_MS = 7 * 24 * 3600 * 1000
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
BAD_TOKEN = "The provided next page token is invalid or expired."  # noqa: S105 (a message)


def context(site: Site) -> Context:
    return Context(
        now=site.now(),
        time_zone=site.api_user.time_zone,
        project_names={p.key: (p.id, p.name) for p in site.projects.values()},
        type_ids={t.name: t.id for p in site.projects.values() for t in p.issue_types.values()},
        status_ids={
            s.name: s.id
            for p in site.projects.values()
            for t in p.issue_types.values()
            for s in t.workflow.statuses
        },
    )


def query_of(site: Site, jql: Any) -> Query:
    if not isinstance(jql, str) or not jql.strip():
        raise SiteError(400, [UNBOUNDED])
    try:
        query = parse(jql, context(site))
    except JqlError as exc:
        raise SiteError(400, [str(exc)]) from None
    if not query.bounded:
        raise SiteError(400, [UNBOUNDED])
    return query


def _digest(jql: str, fields: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps([jql, list(fields)]).encode()).hexdigest()[:16]


def _token(site: Site, jql: str, fields: Sequence[str], position: Any) -> str:
    issued = int(site.now().timestamp() * 1000)
    raw = json.dumps({"q": _digest(jql, fields), "p": position, "t": issued}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(site: Site, token: Any, jql: str, fields: Sequence[str]) -> Any:
    if token is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)))
        fresh = int(site.now().timestamp() * 1000) - int(data["t"]) < TOKEN_LIFETIME_MS
        if data["q"] != _digest(jql, fields) or not fresh:
            raise ValueError
        return data["p"]
    except (ValueError, KeyError, TypeError):
        raise SiteError(400, [BAD_TOKEN]) from None


def run(site: Site, params: dict[str, Any]) -> dict[str, Any]:
    """One page of a search, from the request's parameters (POST body or GET query)."""
    jql = params.get("jql")
    query = query_of(site, jql)
    fields = [str(f) for f in params.get("fields") or ["id"]]
    wanted, excluded = render.wanted_fields(fields, "id")
    cap = MAX_IDS_PAGE if wanted is not None and wanted <= {"id", "key"} else MAX_PAGE
    limit = params.get("maxResults", DEFAULT_PAGE)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise SiteError(400, ["maxResults must be a positive number."])
    limit = min(limit or DEFAULT_PAGE, cap)
    properties = [str(p) for p in params.get("properties") or []]
    if len(properties) > 5:
        raise SiteError(400, ["At most 5 issue properties can be requested."])
    reconcile = {str(i) for i in params.get("reconcileIssues") or []}
    after = _position(site, params.get("nextPageToken"), str(jql), fields)
    found, more = site.index.search(
        query, site.now(), after=after, limit=limit, reconcile=reconcile
    )
    body: dict[str, Any] = {
        "issues": [
            render.issue(
                site,
                issue,
                fields=wanted,
                excluded=excluded,
                properties=properties,
                comment_limit=site.search_comment_limit,
            )
            for issue in found
        ],
        "isLast": more is None,
    }
    if more is not None:
        body["nextPageToken"] = _token(site, str(jql), fields, more)
    return body


async def search_post(request: Request) -> Response:
    return JSONResponse(run(site_of(request), await object_of(request)))


async def search_get(request: Request) -> Response:
    query = request.query_params
    params: dict[str, Any] = {"jql": query.get("jql")}
    if query.get("maxResults"):
        try:
            params["maxResults"] = int(query["maxResults"])
        except ValueError:
            raise SiteError(400, ["maxResults must be a positive number."]) from None
    if query.get("nextPageToken"):
        params["nextPageToken"] = query["nextPageToken"]
    fields = [f for v in query.getlist("fields") for f in v.split(",") if f]
    if fields:
        params["fields"] = fields
    properties = [p for v in query.getlist("properties") for p in v.split(",") if p]
    if properties:
        params["properties"] = properties
    reconcile = [r for v in query.getlist("reconcileIssues") for r in v.split(",") if r]
    if reconcile:
        params["reconcileIssues"] = reconcile
    return JSONResponse(run(site_of(request), params))


async def approximate_count(request: Request) -> Response:
    site = site_of(request)
    query = query_of(site, (await object_of(request)).get("jql"))
    count = sum(1 for issue in site.issues.values() if query.where is None or query.where(issue))
    return JSONResponse({"count": count})


__all__ = ["approximate_count", "context", "query_of", "run", "search_get", "search_post"]
