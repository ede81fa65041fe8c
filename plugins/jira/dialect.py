"""How Jira Cloud answers besides the standards (vendor-apis.md §2.1, §2.7)."""

from __future__ import annotations

from typing import Any

from itsmhub import VendorDialect, texts


def error_texts(body: dict[str, Any]) -> list[str]:
    """``{"errorMessages": ["..."], "errors": {"field": "message"}}`` (ErrorCollection)."""
    parts = texts(body.get("errorMessages"))
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{name}: {text}" for name, text in errors.items() if isinstance(text, str)]
    return parts


JIRA = VendorDialect(
    name="jira",
    error_texts=error_texts,
    request_id_headers=("X-AREQUESTID", "Atl-Traceid"),
    # X-RateLimit-Remaining/Reset (ISO-8601) are the generic names.
    near_limit_header="X-RateLimit-NearLimit",
    reason_header="RateLimit-Reason",
)
