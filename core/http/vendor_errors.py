"""A short, redacted summary of a vendor's JSON error body, for an admin-facing message.

Known shapes (vendor-apis.md §2.1, §3.2, §4.6, §5.6)::

    Jira        {"errorMessages": ["..."], "errors": {"field": "message"}}
    ServiceNow  {"error": {"message": "...", "detail": "..."}, "status": "failure"}
    Zendesk     {"error": "RecordInvalid", "description": "...",
                 "details": {"field": [{"description": "..."}]}}
                {"errors": [{"title": "...", "detail": "..."}]}      (newer endpoints)
    Okta        {"errorCode": "E0000047", "errorSummary": "...",
                 "errorCauses": [{"errorSummary": "..."}]}

Anything else (HTML error pages, unknown JSON) yields nothing: a raw body never reaches a
message, because bodies echo record data and, now and then, credentials.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from .redact import redact_text

MAX_VENDOR_MESSAGE = 200
"""Characters kept from the vendor's message (after redaction)."""
MAX_ERROR_BODY = 64 * 1024
"""Larger bodies are not parsed: an error summary is never worth megabytes of JSON."""

# Correlation ids vendors put on responses, quoted when asking the vendor's support [T:
# commonly seen, not in the vendors' specs]: Okta, Jira (two), then the generic one.
REQUEST_ID_HEADERS = ("X-Okta-Request-Id", "X-AREQUESTID", "Atl-Traceid", "X-Request-Id")
_MAX_REQUEST_ID = 100


def _texts(value: Any) -> list[str]:
    """Strings found in a string, a list of strings, or a list of ``{"description"}``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        found: list[str] = []
        for item in value:
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, dict):
                found.extend(_texts(item.get("description") or item.get("errorSummary")))
        return found
    return []


def _jira(body: dict[str, Any]) -> list[str]:
    parts = _texts(body.get("errorMessages"))
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {text}" for field, text in errors.items() if isinstance(text, str)]
    elif isinstance(errors, list):  # Zendesk's newer {"errors": [{title, detail}]}
        for item in errors:
            if isinstance(item, dict):
                parts += [str(item[key]) for key in ("title", "detail") if item.get(key)]
    return parts


def _servicenow_or_zendesk(body: dict[str, Any]) -> list[str]:
    error = body.get("error")
    if isinstance(error, dict):  # ServiceNow (and Zendesk's {"error": {"title", "message"}})
        return [str(error[key]) for key in ("title", "message", "detail") if error.get(key)]
    parts = _texts(error) + _texts(body.get("description"))
    details = body.get("details")
    if isinstance(details, dict):
        for field, items in details.items():
            parts += [f"{field}: {text}" for text in _texts(items)]
    return parts


def _okta(body: dict[str, Any]) -> list[str]:
    return _texts(body.get("errorSummary")) + _texts(body.get("errorCauses"))


def summarize_error_body(body: Any) -> str | None:
    """The vendor's own words from a parsed JSON error body, redacted and truncated."""
    if not isinstance(body, dict):
        return None
    parts = (
        _okta(body) or _jira(body) or _servicenow_or_zendesk(body) or _texts(body.get("message"))
    )
    unique = list(dict.fromkeys(part.strip() for part in parts if part.strip()))
    if not unique:
        return None
    # Redact before truncating: a cut could leave half a secret the patterns no longer match.
    text = redact_text("; ".join(unique))
    if len(text) > MAX_VENDOR_MESSAGE:
        text = text[: MAX_VENDOR_MESSAGE - 3].rstrip() + "..."
    return text


def request_id(response: httpx.Response) -> str | None:
    """The vendor's id for this request, if it sent one (redacted, one line, bounded)."""
    for name in REQUEST_ID_HEADERS:
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
    return summarize_error_body(body)


__all__ = [
    "MAX_ERROR_BODY",
    "MAX_VENDOR_MESSAGE",
    "REQUEST_ID_HEADERS",
    "request_id",
    "summarize_error_body",
    "vendor_message",
]
