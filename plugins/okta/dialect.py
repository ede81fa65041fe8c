"""How Okta answers besides the standards (vendor-apis.md §5.5, §5.6)."""

from __future__ import annotations

from typing import Any

from itsmhub import VendorDialect, texts


def error_texts(body: dict[str, Any]) -> list[str]:
    """``{"errorCode", "errorSummary", "errorCauses": [{"errorSummary"}]}``."""
    return texts(body.get("errorSummary")) + texts(body.get("errorCauses"), "errorSummary")


OKTA = VendorDialect(
    name="okta",
    error_texts=error_texts,
    request_id_headers=("X-Okta-Request-Id",),
    remaining_headers=("X-Rate-Limit-Remaining",),
    reset_headers=("X-Rate-Limit-Reset",),
)
