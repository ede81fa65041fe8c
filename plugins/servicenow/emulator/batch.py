"""``POST /api/now/v1/batch``: base64 sub-requests run one after another, in-process."""

from __future__ import annotations

import base64
import json
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message

from .errors import error


async def call(
    app: ASGIApp,
    scope: dict[str, Any],
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run one HTTP request through ``app`` and collect its response."""
    parts = urlsplit(url)
    sub = {
        **scope,
        "method": method.upper(),
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
    }
    sent = False
    status, out_headers, chunks = 500, [], []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status, out_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers = [(k.decode(), v.decode()) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(sub, receive, send)
    return status, out_headers, b"".join(chunks)


async def batch(request: Request) -> Response:
    """Serve each ``rest_requests`` item and report it base64-encoded."""
    try:
        data = json.loads(await request.body())
        items = data["rest_requests"]
    except (ValueError, KeyError, TypeError):
        return error(400, "Exception while reading request", "Invalid batch request body")
    inner: ASGIApp = request.app.state.inner
    serviced = []
    for item in items:
        started = time.perf_counter()
        headers = [(h["name"], h["value"]) for h in item.get("headers", [])]
        body = base64.b64decode(item.get("body") or "")
        status, out_headers, out = await call(
            inner, _base_scope(request), item["method"], item["url"], headers, body
        )
        entry: dict[str, Any] = {
            "id": item["id"],
            "status_code": status,
            "status_text": HTTPStatus(status).phrase,
            "body": base64.b64encode(out).decode(),
            "headers": []
            if item.get("exclude_response_headers")
            else [{"name": k, "value": v} for k, v in out_headers],
            "execution_time": int((time.perf_counter() - started) * 1000),
        }
        if status >= 400:
            entry["error_message"] = _message(out)
        serviced.append(entry)
    return JSONResponse(
        {
            # Echoed as a string whatever was sent, as an instance does (vendor-apis.md §3.3).
            "batch_request_id": str(data.get("batch_request_id", "")),
            "serviced_requests": serviced,
            "unserviced_requests": [],
        }
    )


def _base_scope(request: Request) -> dict[str, Any]:
    """The outer request's connection and identity, without its routing leftovers."""
    keep = ("type", "asgi", "http_version", "scheme", "server", "client", "root_path", "app")
    scope = {k: v for k, v in request.scope.items() if k in keep or k.startswith("servicenow.")}
    scope["state"] = {}
    return scope


def _message(body: bytes) -> str:
    try:
        return json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return ""
