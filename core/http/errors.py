"""Turn HTTP outcomes into itsmhub errors, from tables kept as data.

Like Airbyte's ``default_error_mapping.py``: the status → error mapping below is the single
place that decides what a vendor's answer means, and the error's class carries the engine's
next step (``error.action``: retry, dead-letter, pause the connector, or stop).

``replay_safe`` marks outcomes where the vendor certainly did not act on the request (it
refused it, or it never arrived). Only those are retried in-process for non-idempotent
requests (POST): re-sending a create whose outcome is unknown could duplicate the record,
which the outbox avoids by searching for its correlation marker first (sync-guarantees G3).
"""

from __future__ import annotations

import ssl
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import httpx

from ..errors import (
    Action,
    ConfigError,
    FatalError,
    ItsmhubError,
    RateLimited,
    RecordError,
    TransientError,
)
from .dialect import GENERIC, dialect_of
from .ratelimit import retry_after_from
from .redact import exception_chain, redact_text
from .vendor_errors import request_id, vendor_message


@dataclass(frozen=True, slots=True)
class Resolution:
    """What an HTTP outcome means, and so which error (and engine action) it becomes."""

    error: type[ItsmhubError]
    meaning: str
    fix: str | None = None
    replay_safe: bool = False

    @property
    def action(self) -> Action:
        return self.error.action


_BUG = "this is a bug in the connector: report it with this message"
_REDIRECT = Resolution(
    ConfigError,
    "the vendor answered with a redirect, which itsmhub never follows",
    fix="check base_url (https, exact host, no trailing path the vendor moves); a scoped Jira "
    "token must call https://api.atlassian.com/ex/jira/<cloudId>",
)

STATUS_RESOLUTIONS: Mapping[int, Resolution] = MappingProxyType(
    {
        301: _REDIRECT,
        302: _REDIRECT,
        303: _REDIRECT,
        307: _REDIRECT,
        308: _REDIRECT,
        400: Resolution(RecordError, "the vendor rejected the request as invalid"),
        401: Resolution(
            ConfigError,
            "the vendor did not accept the credentials",
            fix="check the credentials the connector signs in with (user and password, or "
            "API token): they may be wrong, expired or revoked",
        ),
        # 403 is a per-record refusal far more often than a connector-wide one: Jira issue
        # security, ServiceNow ACLs, business rules and data policies all answer 403 for one
        # record. Pausing the connector for it would let one record stop every other (G8).
        # A token missing a scope fails the connector's check() instead.
        403: Resolution(
            RecordError,
            "the vendor refused access (permission, ACL or data policy)",
            fix="grant the integration user access to this record or leave it out of the sync; "
            "if every record fails like this, the credentials lack a scope or role",
        ),
        404: Resolution(RecordError, "not found, or hidden from the integration user"),
        405: Resolution(FatalError, "the vendor does not allow this method here", fix=_BUG),
        406: Resolution(FatalError, "the vendor cannot answer in the requested format", fix=_BUG),
        408: Resolution(
            TransientError, "the vendor timed out reading the request", replay_safe=True
        ),
        409: Resolution(RecordError, "the record was changed concurrently (conflict)"),
        410: Resolution(RecordError, "the record is gone"),
        412: Resolution(RecordError, "the record changed since it was read (precondition failed)"),
        413: Resolution(RecordError, "the request is too large, or a per-record limit is reached"),
        415: Resolution(FatalError, "the vendor does not accept this content type", fix=_BUG),
        422: Resolution(RecordError, "the vendor could not process the record (validation)"),
        425: Resolution(
            TransientError, "the vendor asked to retry later (too early)", replay_safe=True
        ),
        429: Resolution(RateLimited, "rate limited by the vendor", replay_safe=True),
        500: Resolution(TransientError, "the vendor had an internal error"),
        502: Resolution(TransientError, "a gateway in front of the vendor failed"),
        503: Resolution(TransientError, "the vendor is unavailable or overloaded"),
        504: Resolution(TransientError, "a gateway in front of the vendor timed out"),
    }
)
"""Explicit entries; other statuses fall back to the ``UNMAPPED_*`` resolutions."""

UNMAPPED_CLIENT_ERROR = Resolution(RecordError, "the vendor refused the request")
"""Any other 4xx: dead-letter it with its status, never drop it silently (G8)."""
UNMAPPED_SERVER_ERROR = Resolution(TransientError, "the vendor failed")
UNMAPPED_STATUS = Resolution(FatalError, "the vendor answered with an unexpected status", fix=_BUG)

TRANSPORT_RESOLUTIONS: tuple[tuple[type[httpx.HTTPError], Resolution], ...] = (
    # First match wins: subclasses before their bases.
    (httpx.ConnectTimeout, Resolution(TransientError, "timed out connecting", replay_safe=True)),
    (httpx.PoolTimeout, Resolution(TransientError, "no free connection in time", replay_safe=True)),
    (httpx.ReadTimeout, Resolution(TransientError, "timed out waiting for the response")),
    (httpx.WriteTimeout, Resolution(TransientError, "timed out sending the request")),
    (httpx.ProxyError, Resolution(TransientError, "the proxy failed", replay_safe=True)),
    (httpx.ConnectError, Resolution(TransientError, "cannot connect", replay_safe=True)),
    (httpx.RemoteProtocolError, Resolution(TransientError, "the connection dropped")),
    (
        httpx.UnsupportedProtocol,
        Resolution(ConfigError, "the URL scheme is not supported", fix="use an https:// URL"),
    ),
    (
        httpx.LocalProtocolError,
        Resolution(FatalError, "itsmhub built an invalid request", fix=_BUG),
    ),
    (httpx.HTTPError, Resolution(TransientError, "the connection failed")),
)
"""Failures without a response: the vendor may or may not have seen the request."""

TLS_VERIFY_FAILED = Resolution(
    ConfigError,
    "the vendor's TLS certificate could not be verified",
    fix="if a TLS-inspecting proxy sits in between, set ca_bundle to its CA file",
)

_replay_safe: weakref.WeakSet[ItsmhubError] = weakref.WeakSet()


def is_replay_safe(error: ItsmhubError) -> bool:
    """True if ``error`` came from an outcome where the vendor did not act on the request."""
    return error in _replay_safe


def annotate(error: TransientError, note: str) -> TransientError:
    """``error`` again, with ``note`` appended to its message (class, status, wait kept)."""
    again = type(error)(
        f"{error.message} ({note})", status=error.status, retry_after=error.retry_after
    )
    if error in _replay_safe:
        _replay_safe.add(again)
    return again


def resolve_status(
    status: int, overrides: Mapping[int, Resolution | None] | None = None
) -> Resolution | None:
    """The resolution for ``status``; ``None`` means success (2xx, or overridden to ``None``)."""
    if overrides is not None and status in overrides:
        return overrides[status]
    if 200 <= status < 300:
        return None
    if status in STATUS_RESOLUTIONS:
        return STATUS_RESOLUTIONS[status]
    if 400 <= status < 500:
        return UNMAPPED_CLIENT_ERROR
    if 500 <= status < 600:
        return UNMAPPED_SERVER_ERROR
    return UNMAPPED_STATUS


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _where(request: httpx.Request | None, *, port: bool = False) -> str:
    # Scheme, host, port and path: enough to see a wrong address at a glance. Never the
    # query string, which carries search terms and, at times, tokens. ``port`` spells out
    # a default port too: when nothing answered, the port may be what is wrong.
    if request is None:
        return "HTTP request"
    url = request.url
    number = (
        url.port if url.port is not None else (_DEFAULT_PORTS.get(url.scheme) if port else None)
    )
    shown = f":{number}" if number is not None else ""
    return f"{request.method} {url.scheme}://{url.host}{shown}{url.path}"


def _build(
    resolution: Resolution, message: str, *, status: int | None, retry_after: float | None
) -> ItsmhubError:
    message = redact_text(message)
    error: ItsmhubError
    if issubclass(resolution.error, TransientError):
        # The vendor saying when to come back is what makes a transient error RateLimited.
        cls = RateLimited if retry_after is not None else resolution.error
        error = cls(message, status=status, retry_after=retry_after)
    elif issubclass(resolution.error, RecordError):
        error = resolution.error(message, status=status, fix=resolution.fix)
    else:
        error = resolution.error(message, fix=resolution.fix)
    if resolution.replay_safe:
        _replay_safe.add(error)
    return error


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a Response built by hand, never sent
        return None


def classify(
    response: httpx.Response,
    *,
    overrides: Mapping[int, Resolution | None] | None = None,
    now: float | None = None,
) -> ItsmhubError | None:
    """The error ``response`` stands for, or ``None`` if it is a success.

    ``overrides`` adjusts the table for one call site (e.g. ``{404: None}`` where "absent" is
    an answer, not an error). ``now`` is the wall clock used to read reset headers.
    """
    status = response.status_code
    resolution = resolve_status(status, overrides)
    if resolution is None:
        return None
    request = _request_of(response)
    meaning = resolution.meaning
    if resolution is _REDIRECT and (location := response.headers.get("Location")):
        try:
            target = request.url.join(location) if request is not None else httpx.URL(location)
        except httpx.InvalidURL:
            target = None
        if target is not None:  # host and path: where the vendor moved, without the query
            meaning = f"{meaning} (to {target.host}{target.path})"
    message = f"{_where(request)} failed: HTTP {status} {response.reason_phrase}, {meaning}"
    if said := vendor_message(response):
        message += f"; vendor says: {said}"
    if rid := request_id(response):
        message += f"; request id {rid}"
    retry_after = None
    if issubclass(resolution.error, TransientError):
        clock = time.time() if now is None else now
        dialect = dialect_of(request.extensions) if request is not None else GENERIC
        retry_after = retry_after_from(
            response.headers, clock, rate_limited=status == 429, dialect=dialect
        )
        if retry_after is not None:
            message += f"; the vendor asked to wait {retry_after:g} s"
    return _build(resolution, message, status=status, retry_after=retry_after)


def raise_for_status(
    response: httpx.Response,
    *,
    overrides: Mapping[int, Resolution | None] | None = None,
    now: float | None = None,
) -> httpx.Response:
    """Return ``response`` if it is a success, else raise the error :func:`classify` finds."""
    error = classify(response, overrides=overrides, now=now)
    if error is not None:
        raise error
    return response


def classify_exception(exc: httpx.HTTPError) -> ItsmhubError:
    """The itsmhub error for an httpx failure that produced no response.

    Chain it as ``raise error from redact_exception(exc)``: httpx's own text is not redacted.
    """
    resolution = next(res for kind, res in TRANSPORT_RESOLUTIONS if isinstance(exc, kind))
    if isinstance(exc, httpx.ConnectError) and any(
        isinstance(link, ssl.SSLCertVerificationError) for link in exception_chain(exc)
    ):
        resolution = TLS_VERIFY_FAILED
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:
        request = None
    # Redact before truncating, so no half of a secret survives the cut.
    detail = redact_text(str(exc))[:200] or type(exc).__name__
    message = f"{_where(request, port=True)} failed: {resolution.meaning} ({detail})"
    return _build(resolution, message, status=None, retry_after=None)


__all__ = [
    "STATUS_RESOLUTIONS",
    "TLS_VERIFY_FAILED",
    "TRANSPORT_RESOLUTIONS",
    "UNMAPPED_CLIENT_ERROR",
    "UNMAPPED_SERVER_ERROR",
    "UNMAPPED_STATUS",
    "Resolution",
    "annotate",
    "classify",
    "classify_exception",
    "is_replay_safe",
    "raise_for_status",
    "resolve_status",
]
