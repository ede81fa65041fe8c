"""``limit`` and ``after`` paging with ``Link`` headers, as Okta pages every list.

``after`` is opaque to clients; here it encodes the sort key of the last item returned
(a keyset), so records edited while a client pages are neither skipped nor repeated
within the read.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import JSONResponse

Key = Callable[[dict[str, Any]], tuple[str, ...]]


class BadCursor(ValueError):
    """An ``after`` value this org never handed out."""


def encode(position: Sequence[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


def decode(after: str) -> tuple[str, ...]:
    try:
        padded = after + "=" * (-len(after) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError) as exc:
        raise BadCursor(after) from exc
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadCursor(after)
    return tuple(value)


def limit_of(request: Request, default: int, maximum: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    return max(1, min(value, maximum))


def page(
    items: list[dict[str, Any]], key: Key, after: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The items after the cursor (sorted by ``key``), and the next cursor if more remain."""
    ordered = sorted(items, key=key)
    if after:
        position = decode(after)
        ordered = [item for item in ordered if key(item) > position]
    chunk = ordered[:limit]
    more = len(ordered) > limit
    return chunk, (encode(key(chunk[-1])) if more and chunk else None)


def link(request: Request, rel: str, after: str | None) -> str:
    url: URL = request.url
    if after is None:
        url = url.remove_query_params("after")
    else:
        url = url.include_query_params(after=after)
    return f'<{url}>; rel="{rel}"'


def listing(
    request: Request,
    body: list[dict[str, Any]],
    next_after: str | None,
    *,
    always_next: bool = False,
) -> JSONResponse:
    """A JSON list with Okta's separate ``Link`` headers: ``self``, and ``next`` if any."""
    response = JSONResponse(body)
    response.headers.append("Link", link(request, "self", request.query_params.get("after")))
    if next_after is not None or always_next:
        response.headers.append("Link", link(request, "next", next_after))
    return response
