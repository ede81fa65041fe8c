"""What one vendor says in HTTP beyond the standards: its error bodies, its request id
header, its rate-limit headers. Each plugin declares its own :class:`VendorDialect` and
hands it to :func:`~itsmhub.build_client`; the core knows only the generic forms.

The generic forms (:data:`GENERIC`): ``Retry-After``; ``X-RateLimit-Remaining/Reset`` and
the IETF draft's ``RateLimit-Remaining/Reset``; ``X-Request-Id``; error bodies with a
``message``, an ``error`` (text, or an object with ``title``/``message``/``detail``), an
``errors`` list or field map, a ``description`` and ``details``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ErrorTexts = Callable[[dict[str, Any]], list[str]]
"""The vendor's own words in a parsed JSON error object (empty when it is not its shape)."""


def texts(value: Any, *keys: str) -> list[str]:
    """Strings found in a string, a list of strings, or a list of objects (their ``keys``)."""
    if isinstance(value, str):
        return [value]
    found: list[str] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, dict):
                for key in keys:
                    found.extend(texts(item.get(key)))
    return found


def generic_error_texts(body: dict[str, Any]) -> list[str]:
    """Messages of the common JSON error shapes."""
    parts: list[str] = []
    error = body.get("error")
    if isinstance(error, dict):
        parts += [str(error[k]) for k in ("title", "message", "detail") if error.get(k)]
    else:
        parts += texts(error)
    parts += texts(body.get("description"))
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{name}: {text}" for name, text in errors.items() if isinstance(text, str)]
    else:
        parts += texts(errors, "title", "detail", "message")
    details = body.get("details")
    if isinstance(details, dict):
        for name, items in details.items():
            parts += [f"{name}: {text}" for text in texts(items, "description")]
    return parts or texts(body.get("message"))


@dataclass(frozen=True)
class VendorDialect:
    """How a vendor's answers are read; unset parts fall back to the generic forms."""

    name: str
    error_texts: ErrorTexts = generic_error_texts
    request_id_headers: tuple[str, ...] = ()
    remaining_headers: tuple[str, ...] = ()
    reset_headers: tuple[str, ...] = ()
    near_limit_header: str | None = None
    """A header whose value ``true`` means less than a fifth of the budget is left."""
    reason_header: str | None = None
    """A header naming which limit applies (logged, and carried by the error)."""
    endpoint_limit_prefix: str | None = None
    """Headers ``<prefix><endpoint>: total=N; remaining=N; resets=S`` (Zendesk)."""
    extra: dict[str, str] = field(default_factory=dict)

    def all_request_id_headers(self) -> tuple[str, ...]:
        return (*self.request_id_headers, *GENERIC_REQUEST_ID_HEADERS)

    def all_remaining_headers(self) -> tuple[str, ...]:
        return (*self.remaining_headers, *GENERIC_REMAINING_HEADERS)

    def all_reset_headers(self) -> tuple[str, ...]:
        return (*self.reset_headers, *GENERIC_RESET_HEADERS)


GENERIC_REQUEST_ID_HEADERS = ("X-Request-Id",)
GENERIC_REMAINING_HEADERS = ("X-RateLimit-Remaining", "RateLimit-Remaining")
GENERIC_RESET_HEADERS = ("X-RateLimit-Reset", "RateLimit-Reset")

GENERIC = VendorDialect(name="generic")
"""What any HTTP API is read with when its plugin declares nothing more."""

#: Where ``build_client`` leaves the dialect on each request, for error classification.
DIALECT_EXTENSION = "itsmhub.dialect"


def dialect_of(extensions: dict[str, Any]) -> VendorDialect:
    found = extensions.get(DIALECT_EXTENSION)
    return found if isinstance(found, VendorDialect) else GENERIC


__all__ = [
    "DIALECT_EXTENSION",
    "GENERIC",
    "ErrorTexts",
    "VendorDialect",
    "dialect_of",
    "generic_error_texts",
    "texts",
]
