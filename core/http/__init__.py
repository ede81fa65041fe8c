"""The shared HTTP foundation of every connector.

- :func:`build_client`: the one ``httpx.AsyncClient`` factory (timeouts, TLS, no redirects,
  no environment, redacting logs, injectable transport);
- :func:`send_with_retries`: tenacity retries of transient failures, honouring the vendors'
  ``Retry-After`` and reset headers, and :class:`RateLimitState` to pace before a 429;
- :func:`classify` / :func:`raise_for_status`: status → itsmhub error, from the
  :data:`STATUS_RESOLUTIONS` table;
- :func:`redact_text`, :func:`register_secret`, :func:`install_redaction`: secrets stay out
  of logs and error messages.
"""

from __future__ import annotations

from .budgets import BudgetPacer, RateBudget
from .client import build_client
from .dialect import GENERIC, VendorDialect, generic_error_texts, texts
from .errors import (
    STATUS_RESOLUTIONS,
    TLS_VERIFY_FAILED,
    TRANSPORT_RESOLUTIONS,
    UNMAPPED_CLIENT_ERROR,
    UNMAPPED_SERVER_ERROR,
    UNMAPPED_STATUS,
    Resolution,
    classify,
    classify_exception,
    is_replay_safe,
    raise_for_status,
    resolve_status,
)
from .oauth import OAuthFlow
from .ratelimit import (
    RateLimitInfo,
    RateLimitState,
    parse_reset,
    parse_retry_after,
    read_rate_limit,
    retry_after_from,
)
from .redact import (
    REDACTED,
    RedactingFilter,
    install_redaction,
    redact_exception,
    redact_text,
    register_secret,
)
from .retry import IDEMPOTENT_METHODS, full_jitter, send_with_retries
from .settings import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_LIMITS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_BACKOFF,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_KEEPALIVE,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_POOL_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_TIMEOUT_CONFIG,
    DEFAULT_USER_AGENT,
    DEFAULT_WRITE_TIMEOUT,
    HttpSettings,
)
from .vendor_errors import summarize_error_body, vendor_message

__all__ = [
    "DEFAULT_BACKOFF_BASE",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_KEEPALIVE",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_TIMEOUT_CONFIG",
    "DEFAULT_USER_AGENT",
    "DEFAULT_WRITE_TIMEOUT",
    "GENERIC",
    "IDEMPOTENT_METHODS",
    "REDACTED",
    "STATUS_RESOLUTIONS",
    "TLS_VERIFY_FAILED",
    "TRANSPORT_RESOLUTIONS",
    "UNMAPPED_CLIENT_ERROR",
    "UNMAPPED_SERVER_ERROR",
    "UNMAPPED_STATUS",
    "BudgetPacer",
    "HttpSettings",
    "OAuthFlow",
    "RateBudget",
    "RateLimitInfo",
    "RateLimitState",
    "RedactingFilter",
    "Resolution",
    "VendorDialect",
    "build_client",
    "classify",
    "classify_exception",
    "full_jitter",
    "generic_error_texts",
    "install_redaction",
    "is_replay_safe",
    "parse_reset",
    "parse_retry_after",
    "raise_for_status",
    "read_rate_limit",
    "redact_exception",
    "redact_text",
    "register_secret",
    "resolve_status",
    "retry_after_from",
    "send_with_retries",
    "summarize_error_body",
    "texts",
    "vendor_message",
]
