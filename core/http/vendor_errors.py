"""A short, redacted summary of a vendor's JSON error body, for an admin-facing message.

The vendor's shape is its plugin's :class:`~itsmhub.http.VendorDialect` (the generic
shapes otherwise). Anything that is not a small JSON object (HTML error pages, huge
bodies) yields nothing: a raw body never reaches a message, because bodies echo record
data and, now and then, credentials.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from .dialect import GENERIC, VendorDialect, dialect_of
from .redact import redact_text

MAX_VENDOR_MESSAGE = 200
"""Characters kept from the vendor's message (after redaction)."""
MAX_ERROR_BODY = 64 * 1024
"""Larger bodies are not parsed: an error summary is never worth megabytes of JSON."""
_MAX_REQUEST_ID = 100


def summarize_error_body(body: Any, dialect: VendorDialect = GENERIC) -> str | None:
    """The vendor's own words from a parsed JSON error body, redacted and truncated."""
    if not isinstance(body, dict):
        return None
    parts = dialect.error_texts(body)
    if dialect is not GENERIC and not parts:
        parts = GENERIC.error_texts(body)
    unique = list(dict.fromkeys(part.strip() for part in parts if part.strip()))
    if not unique:
        return None
    # Redact before truncating: a cut could leave half a secret the patterns no longer match.
    text = redact_text("; ".join(unique))
    if len(text) > MAX_VENDOR_MESSAGE:
        text = text[: MAX_VENDOR_MESSAGE - 3].rstrip() + "..."
    return text


def _dialect(response: httpx.Response) -> VendorDialect:
    try:
        return dialect_of(response.request.extensions)
    except RuntimeError:  # a Response built by hand, never sent
        return GENERIC


def request_id(response: httpx.Response) -> str | None:
    """The vendor's id for this request, if it sent one (redacted, one line, bounded)."""
    for name in _dialect(response).all_request_id_headers():
        if value := response.headers.get(name):
            return redact_text(value[:_MAX_REQUEST_ID])
    return None


def vendor_message(response: httpx.Response) -> str | None:
    """:func:`summarize_error_body` of ``response``, if its body was read and is small JSON."""
    try:
        content = response.content
    except httpx.ResponseNotRead:  # a streamed response: never read a body just to log it
        return None
    if not content or len(content) > MAX_ERROR_BODY or content.lstrip()[:1] != b"{":
        return None
    try:
        body = json.loads(content)
    except ValueError:
        return None
    return summarize_error_body(body, _dialect(response))


__all__ = [
    "MAX_ERROR_BODY",
    "MAX_VENDOR_MESSAGE",
    "request_id",
    "summarize_error_body",
    "vendor_message",
]
