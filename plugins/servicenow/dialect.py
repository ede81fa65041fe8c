"""How a ServiceNow instance answers besides the standards (vendor-apis.md §3.2, §3.7)."""

from __future__ import annotations

from typing import Any

from itsmhub import VendorDialect, texts


def error_texts(body: dict[str, Any]) -> list[str]:
    """``{"error": {"message": "...", "detail": "..."}, "status": "failure"}``."""
    error = body.get("error")
    if isinstance(error, dict):
        return [str(error[key]) for key in ("message", "detail") if error.get(key)]
    return texts(error)


SERVICENOW = VendorDialect(
    name="servicenow",
    error_texts=error_texts,
    # X-RateLimit-Reset is the epoch second the hourly window ends (read as generic).
)
