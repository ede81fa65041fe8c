"""Handlers of the incremental exports (vendor-apis.md §4.3)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import render
from .api import base_of, int_param, support_of, ticket_json
from .errors import error
from .export import MAX_PER_PAGE, decode_cursor, encode_cursor, event_page, ticket_page, too_recent

TOO_RECENT = "Too recent start_time. Use a start_time older than 1 minute."


def _start_time(request: Request) -> int | Response:
    raw = request.query_params.get("start_time")
    if raw is None or not raw.lstrip("-").isdigit():
        return error(400, "start_time is required (a Unix time)")
    value = int(raw)
    support = support_of(request)
    if too_recent(support.account, value, support.account.now()):
        return error(400, TOO_RECENT)
    return max(value, 0)


async def tickets_cursor(request: Request) -> Response:
    """``GET /api/v2/incremental/tickets/cursor``: ``start_time`` first, then ``cursor``."""
    support = support_of(request)
    params = request.query_params
    after = None
    start = 0
    if "cursor" in params:
        after = decode_cursor(params["cursor"])
        if after is None:
            return error(400, "The cursor is not valid")
    else:
        given = _start_time(request)
        if isinstance(given, Response):
            return given
        start = given
    per_page = int_param(request, "per_page", MAX_PER_PAGE, high=MAX_PER_PAGE)
    page = ticket_page(
        support.account,
        after=after,
        start_time=start,
        per_page=per_page,
        now=support.account.now(),
        exclude_deleted=params.get("exclude_deleted") == "true",
    )
    cursor = encode_cursor(page.after)
    url = f"{base_of(request)}/api/v2/incremental/tickets/cursor.json?cursor={cursor}"
    return JSONResponse(
        {
            "tickets": [ticket_json(request, t) for t in page.tickets],
            "after_cursor": cursor,
            "after_url": url,
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": page.end_of_stream,
        }
    )


async def ticket_events(request: Request) -> Response:
    """``GET /api/v2/incremental/ticket_events``: audits by time; their comments with
    ``include=comment_events``, else only whether each had one."""
    support = support_of(request)
    start = _start_time(request)
    if isinstance(start, Response):
        return start
    per_page = int_param(request, "per_page", MAX_PER_PAGE, high=MAX_PER_PAGE)
    page = event_page(
        support.account, start_time=start, per_page=per_page, now=support.account.now()
    )
    with_comments = "comment_events" in request.query_params.get("include", "").split(",")
    path = f"{base_of(request)}/api/v2/incremental/ticket_events.json"
    return JSONResponse(
        {
            "ticket_events": [
                render.ticket_event(a, with_comments=with_comments) for a in page.audits
            ],
            "next_page": f"{path}?start_time={page.end_time}",
            "count": len(page.audits),
            "end_time": page.end_time,
            "end_of_stream": page.end_of_stream,
        }
    )


__all__ = ["TOO_RECENT", "ticket_events", "tickets_cursor"]
