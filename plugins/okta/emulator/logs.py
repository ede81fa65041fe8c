"""The System Log (``GET /api/v1/logs``): bounded queries and polling (vendor-apis.md §5.4).

A query with ``until`` is bounded: it pages with ``next`` until the range is read. A
query without it polls: every answer carries a ``next`` link, even an empty one, and
asking it again later returns the events written since, in the order Okta stored them.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from . import paging
from .directory import org_of
from .errors import error, invalid_search
from .query import InvalidQuery, parse
from .state import parse_stamp


def _bound(request: Request, name: str) -> str | Response | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        parse_stamp(value)
    except ValueError:
        return error(400, f"Api validation failed: {name}", [f"{name}: not an ISO-8601 time"])
    return value


async def list_events(request: Request) -> Response:
    org, params = org_of(request), request.query_params
    since, until = _bound(request, "since"), _bound(request, "until")
    for bound in (since, until):
        if isinstance(bound, Response):
            return bound
    if params.get("sortOrder", "ASCENDING") != "ASCENDING" and until is None:
        return error(400, "Api validation failed: sortOrder", ["polling requires ASCENDING"])
    limit = paging.limit_of(request, 100, 1000)
    start = parse_stamp(since) if isinstance(since, str) else org.clock() - timedelta(days=7)
    end = parse_stamp(until) if isinstance(until, str) else None
    try:
        predicate = parse(params["filter"]) if "filter" in params else None
        position = int(paging.decode(params["after"])[0]) if "after" in params else -1
    except InvalidQuery as exc:
        return invalid_search(str(exc))
    except (paging.BadCursor, ValueError):
        return error(400, "Api validation failed: after", ["after: the cursor is not valid"])
    keyword = params.get("q", "").lower()
    chosen: list[tuple[int, dict]] = []
    for index in range(position + 1, len(org.events)):
        event = org.events[index]
        published = parse_stamp(event["published"])
        if published < start or (end is not None and published >= end):
            continue
        if predicate is not None and not predicate(event):
            continue
        if keyword and keyword not in event["displayMessage"].lower():
            continue
        chosen.append((index, event))
        if len(chosen) > limit:
            break
    more = len(chosen) > limit
    chosen = chosen[:limit]
    last = chosen[-1][0] if chosen else max(position, len(org.events) - 1)
    body = [event for _, event in chosen]
    if params.get("sortOrder") == "DESCENDING":
        body.reverse()
    polling = end is None
    after = paging.encode([str(last)]) if more or polling else None
    return paging.listing(request, body, after)
