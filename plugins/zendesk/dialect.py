"""How Zendesk Support answers besides the standards (vendor-apis.md §4.4, §4.6)."""

from __future__ import annotations

from typing import Any

from itsmhub import VendorDialect, texts


def error_texts(body: dict[str, Any]) -> list[str]:
    """``{"error": "RecordInvalid", "description": "...", "details": {"f": [{"description"}]}}``
    and the newer ``{"errors": [{"title", "detail"}]}``."""
    parts = texts(body.get("error")) + texts(body.get("description"))
    details = body.get("details")
    if isinstance(details, dict):
        for name, items in details.items():
            parts += [f"{name}: {text}" for text in texts(items, "description")]
    errors = body.get("errors")
    if isinstance(errors, list):
        parts += texts(errors, "title", "detail")
    return parts


ZENDESK = VendorDialect(
    name="zendesk",
    error_texts=error_texts,
    request_id_headers=("X-Zendesk-Request-Id",),
    remaining_headers=("X-Rate-Limit-Remaining",),
    endpoint_limit_prefix="zendesk-ratelimit-",
)
