"""Handlers of the Tickets, Ticket Comments and Users APIs (vendor-apis.md §4.2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import render
from .errors import CONFLICT, error
from .state import Ticket, User
from .support import Support
from .tickets import Conflict, Invalid, NotFound

LIST_PAGE = 100


def support_of(request: Request) -> Support:
    return request.app.state.support


def base_of(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def caller(request: Request) -> User:
    """The agent the request's credentials proved (the gate put its id in the scope)."""
    account = support_of(request).account
    user_id = request.scope.get("zendesk.user")
    found = account.users.get(int(user_id)) if user_id else None
    return found or account.agent


async def json_body(request: Request) -> dict[str, Any] | Response:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        return error(400, "The request body is not valid JSON")
    if not isinstance(data, dict):
        return error(400, "The request body must be a JSON object")
    return data


def int_param(request: Request, name: str, default: int, *, high: int) -> int:
    try:
        return min(max(int(request.query_params.get(name, default)), 1), high)
    except ValueError:
        return default


def ids_param(request: Request) -> list[int]:
    raw = request.query_params.get("ids", "")
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]


def ticket_json(request: Request, ticket: Ticket) -> dict[str, Any]:
    account = support_of(request).account
    has = ticket.type == "problem" and account.has_incidents(ticket)
    return render.ticket(ticket, base_of(request), has_incidents=has)


def _offset_page(request: Request, key: str, items: Sequence[Any], rendered: list[Any]) -> Response:
    """Offset pagination (``page``, ``per_page``): ``next_page``, ``previous_page``, ``count``."""
    per_page = int_param(request, "per_page", LIST_PAGE, high=LIST_PAGE)
    page = int_param(request, "page", 1, high=10_000)
    start = (page - 1) * per_page
    path = f"{base_of(request)}{request.url.path}.json"
    more = start + per_page < len(items)
    return JSONResponse(
        {
            key: rendered[start : start + per_page],
            "next_page": f"{path}?page={page + 1}&per_page={per_page}" if more else None,
            "previous_page": f"{path}?page={page - 1}&per_page={per_page}" if page > 1 else None,
            "count": len(items),
        }
    )


def _found(request: Request) -> Ticket | Response:
    ticket = support_of(request).account.tickets.get(_int(request.path_params["ticket_id"]))
    if ticket is None or ticket.deleted:
        return error(404)
    return ticket


def _int(text: str) -> int:
    return int(text) if text.isdigit() else -1


# --- tickets ---------------------------------------------------------------------------


async def list_tickets(request: Request) -> Response:
    """``GET /api/v2/tickets``, by ``external_id`` when given (several may carry it)."""
    account = support_of(request).account
    tickets = account.visible_tickets()
    external_id = request.query_params.get("external_id")
    if external_id is not None:
        tickets = [t for t in tickets if t.external_id == external_id]
    tickets.sort(key=lambda t: t.id)
    return _offset_page(request, "tickets", tickets, [ticket_json(request, t) for t in tickets])


async def show_ticket(request: Request) -> Response:
    found = _found(request)
    if isinstance(found, Response):
        return found
    return JSONResponse({"ticket": ticket_json(request, found)})


async def show_many(request: Request) -> Response:
    account = support_of(request).account
    ids = ids_param(request)[:100]
    tickets = [account.tickets[i] for i in ids if i in account.tickets]
    return JSONResponse({"tickets": [ticket_json(request, t) for t in tickets if not t.deleted]})


async def _ticket_body(request: Request) -> dict[str, Any] | Response:
    """The ``ticket`` object of a create or an update, or the refusal of a body without one."""
    data = await json_body(request)
    if isinstance(data, Response):
        return data
    if not isinstance(data.get("ticket"), dict):
        return error(400, "The request needs a ticket object")
    return data["ticket"]


async def create_ticket(request: Request) -> Response:
    data = await _ticket_body(request)
    if isinstance(data, Response):
        return data
    support = support_of(request)
    try:
        ticket = support.desk.create(data, caller(request))
    except Invalid as exc:
        return error(422, details=exc.details)
    audit = support.account.audits[-1]
    location = f"{base_of(request)}/api/v2/tickets/{ticket.id}.json"
    body = {"ticket": ticket_json(request, ticket), "audit": render.audit(audit)}
    return JSONResponse(body, status_code=201, headers={"Location": location})


async def update_ticket(request: Request) -> Response:
    data = await _ticket_body(request)
    if isinstance(data, Response):
        return data
    support = support_of(request)
    try:
        ticket, audit = support.desk.update(
            _int(request.path_params["ticket_id"]), data, caller(request)
        )
    except NotFound:
        return error(404)
    except Conflict:
        return error(409, CONFLICT)
    except Invalid as exc:
        return error(422, details=exc.details)
    body: dict[str, Any] = {"ticket": ticket_json(request, ticket)}
    if audit is not None:
        body["audit"] = render.audit(audit)
    return JSONResponse(body)


async def delete_ticket(request: Request) -> Response:
    try:
        support_of(request).desk.delete(_int(request.path_params["ticket_id"]))
    except NotFound:
        return error(404)
    return Response(status_code=204)


async def list_problems(request: Request) -> Response:
    """``GET /api/v2/problems``: problem tickets, most recently updated first."""
    account = support_of(request).account
    problems = [t for t in account.visible_tickets() if t.type == "problem"]
    problems.sort(key=lambda t: (t.updated_at, t.id), reverse=True)
    rendered = [ticket_json(request, t) for t in problems]
    return _offset_page(request, "tickets", problems, rendered)


async def list_incidents(request: Request) -> Response:
    """``GET /api/v2/tickets/{id}/incidents``: the incidents linked to a problem."""
    found = _found(request)
    if isinstance(found, Response):
        return found
    account = support_of(request).account
    ids = sorted(account.incidents.get(found.id, set()))
    incidents = [account.tickets[i] for i in ids if not account.tickets[i].deleted]
    rendered = [ticket_json(request, t) for t in incidents]
    return _offset_page(request, "tickets", incidents, rendered)


# --- comments --------------------------------------------------------------------------


async def list_comments(request: Request) -> Response:
    """A ticket's comments, oldest first (``sort=-created_at``: newest); cursor pagination
    with ``page[size]``/``page[after]``, offset pagination otherwise."""
    found = _found(request)
    if isinstance(found, Response):
        return found
    comments = list(support_of(request).account.comments.get(found.id, []))
    params = request.query_params
    if params.get("sort") == "-created_at" or params.get("sort_order") == "desc":
        comments.reverse()
    rendered = [render.comment(c) for c in comments]
    if "page[size]" not in params:
        return _offset_page(request, "comments", comments, rendered)
    size = int_param(request, "page[size]", LIST_PAGE, high=LIST_PAGE)
    after = params.get("page[after]")
    start = 0
    if after:
        ids = [c.id for c in comments]
        start = ids.index(int(after)) + 1 if after.isdigit() and int(after) in ids else len(ids)
    page = comments[start : start + size]
    more = start + size < len(comments)
    last = str(page[-1].id) if page else None
    path = f"{base_of(request)}{request.url.path}.json"
    return JSONResponse(
        {
            "comments": rendered[start : start + size],
            "meta": {
                "has_more": more,
                "after_cursor": last,
                "before_cursor": str(page[0].id) if page else None,
            },
            "links": {
                "next": f"{path}?page[size]={size}&page[after]={last}" if more else None,
                "prev": None,
            },
        }
    )


# --- users -----------------------------------------------------------------------------


async def me(request: Request) -> Response:
    return JSONResponse({"user": render.user(caller(request), base_of(request))})


async def users_show_many(request: Request) -> Response:
    account = support_of(request).account
    users = [account.users[i] for i in ids_param(request)[:100] if i in account.users]
    return JSONResponse({"users": [render.user(u, base_of(request)) for u in users]})


__all__ = [
    "create_ticket",
    "delete_ticket",
    "list_comments",
    "list_incidents",
    "list_problems",
    "list_tickets",
    "me",
    "show_many",
    "show_ticket",
    "update_ticket",
    "users_show_many",
]
