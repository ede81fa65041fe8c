"""Handlers of the Table API (``/api/now[/v1|/v2]/table``) and the Aggregate API."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import query
from .errors import error
from .render import TRUTHY, View, render
from .state import COLUMNS, Instance

MAX_LIMIT = 10_000


def _instance(request: Request) -> Instance:
    return request.app.state.instance


def _user(request: Request) -> str:
    return request.scope.get("servicenow.user", "admin")


def _view(request: Request) -> View:
    return View.from_params(request.query_params, str(request.base_url))


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def _query(request: Request, table: str) -> query.Query:
    """``sysparm_query`` plus any plain ``field=value`` parameters, AND-ed."""
    terms = [request.query_params.get("sysparm_query", "")]
    terms += [f"{k}={v}" for k, v in request.query_params.items() if not k.startswith("sysparm_")]
    return query.parse("^".join(t for t in terms if t), COLUMNS[table])


def _unknown_table(table: str) -> JSONResponse:
    return error(400, f"Invalid table {table}", "")


async def list_records(request: Request) -> Response:
    table = request.path_params["table"]
    if table not in COLUMNS:
        return _unknown_table(table)
    instance = _instance(request)
    params = request.query_params
    limit = min(max(_int(params.get("sysparm_limit"), MAX_LIMIT), 1), MAX_LIMIT)
    offset = max(_int(params.get("sysparm_offset"), 0), 0)
    rows = _query(request, table).apply(instance.rows(table))
    page = rows[offset : offset + limit]
    view = _view(request)
    headers: dict[str, str] = {}
    if params.get("sysparm_no_count", "").lower() not in TRUTHY:
        headers["X-Total-Count"] = str(len(rows))
    if params.get("sysparm_suppress_pagination_header", "").lower() not in TRUTHY:
        headers["Link"] = _links(request, offset, limit, len(rows))
    if not page and "/v1/" in request.url.path and params.get("sysparm_query"):
        return error(
            404,
            "No Record found",
            "Records matching query not found. Check query parameter or offset parameter",
            **headers,
        )
    body = {"result": [render(instance, table, row, view) for row in page]}
    return JSONResponse(body, headers=headers)


def _links(request: Request, offset: int, limit: int, total: int) -> str:
    base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    kept = [(k, v) for k, v in request.query_params.multi_items()]
    kept = [(k, v) for k, v in kept if k not in ("sysparm_offset", "sysparm_limit")]

    def url(at: int) -> str:
        return base + "?" + urlencode([*kept, ("sysparm_offset", at), ("sysparm_limit", limit)])

    last = max(total - 1, 0) // limit * limit
    links = [f'<{url(0)}>;rel="first"']
    if offset > 0:
        links.append(f'<{url(max(offset - limit, 0))}>;rel="prev"')
    if offset + limit < total:
        links.append(f'<{url(offset + limit)}>;rel="next"')
    links.append(f'<{url(last)}>;rel="last"')
    return ",".join(links)


async def get_record(request: Request) -> Response:
    table, sys_id = request.path_params["table"], request.path_params["sys_id"]
    if table not in COLUMNS:
        return _unknown_table(table)
    instance = _instance(request)
    row = instance.get(table, sys_id)
    if row is None:
        return _missing()
    return JSONResponse({"result": render(instance, table, row, _view(request))})


def _missing() -> JSONResponse:
    return error(
        404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"
    )


async def _body(request: Request) -> dict[str, Any] | Response:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("application/json"):
        return error(
            400,
            "Requested URI does not represent any resource",
            "Content-Type must be application/json",
        )
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        return error(400, "Exception while reading request", "The payload is not valid JSON.")
    if isinstance(data, list):  # one record per call: the rest of an array is ignored
        data = data[0] if data else {}
    if not isinstance(data, dict):
        return error(400, "Exception while reading request", "The payload is not a JSON object.")
    return data


async def create_record(request: Request) -> Response:
    table = request.path_params["table"]
    if table not in COLUMNS:
        return _unknown_table(table)
    data = await _body(request)
    if isinstance(data, Response):
        return data
    instance = _instance(request)
    row = instance.insert(table, data, _user(request))
    location = f"{str(request.base_url).rstrip('/')}/api/now/table/{table}/{row['sys_id']}"
    body = {"result": render(instance, table, row, _view(request))}
    return JSONResponse(body, status_code=201, headers={"Location": location})


async def update_record(request: Request) -> Response:
    table, sys_id = request.path_params["table"], request.path_params["sys_id"]
    if table not in COLUMNS:
        return _unknown_table(table)
    data = await _body(request)
    if isinstance(data, Response):
        return data
    instance = _instance(request)
    row = instance.update(table, sys_id, data, _user(request))
    if row is None:
        return _missing()
    return JSONResponse({"result": render(instance, table, row, _view(request))})


async def delete_record(request: Request) -> Response:
    table, sys_id = request.path_params["table"], request.path_params["sys_id"]
    if table not in COLUMNS:
        return _unknown_table(table)
    if not _instance(request).delete(table, sys_id):
        return _missing()
    return Response(status_code=204)


async def stats(request: Request) -> Response:
    """``GET /api/now/stats/{table}?sysparm_count=true``: the count as a string."""
    table = request.path_params["table"]
    if table not in COLUMNS:
        return _unknown_table(table)
    rows = _query(request, table).apply(_instance(request).rows(table))
    result: dict[str, Any] = {"stats": {}}
    if request.query_params.get("sysparm_count", "").lower() in TRUTHY:
        result["stats"]["count"] = str(len(rows))
    return JSONResponse({"result": result})
