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

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from .budgets import (
        BudgetPacer,
        RateBudget,
    )
    from .client import (
        build_client,
    )
    from .dialect import (
        GENERIC,
        VendorDialect,
        generic_error_texts,
        texts,
    )
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
    from .oauth import (
        OAuthFlow,
    )
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
    from .retry import (
        IDEMPOTENT_METHODS,
        full_jitter,
        send_with_retries,
    )
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
    from .vendor_errors import (
        summarize_error_body,
        vendor_message,
    )

# Each public name and the module that defines it. Importing httpx (and tenacity) costs
# a quarter of a second, which every CLI start and shell completion would pay: the
# submodules load when a name is first used.
_SOURCES: dict[str, str] = {
    "BudgetPacer": "budgets",
    "RateBudget": "budgets",
    "build_client": "client",
    "GENERIC": "dialect",
    "VendorDialect": "dialect",
    "generic_error_texts": "dialect",
    "texts": "dialect",
    "STATUS_RESOLUTIONS": "errors",
    "TLS_VERIFY_FAILED": "errors",
    "TRANSPORT_RESOLUTIONS": "errors",
    "UNMAPPED_CLIENT_ERROR": "errors",
    "UNMAPPED_SERVER_ERROR": "errors",
    "UNMAPPED_STATUS": "errors",
    "Resolution": "errors",
    "classify": "errors",
    "classify_exception": "errors",
    "is_replay_safe": "errors",
    "raise_for_status": "errors",
    "resolve_status": "errors",
    "OAuthFlow": "oauth",
    "RateLimitInfo": "ratelimit",
    "RateLimitState": "ratelimit",
    "parse_reset": "ratelimit",
    "parse_retry_after": "ratelimit",
    "read_rate_limit": "ratelimit",
    "retry_after_from": "ratelimit",
    "REDACTED": "redact",
    "RedactingFilter": "redact",
    "install_redaction": "redact",
    "redact_exception": "redact",
    "redact_text": "redact",
    "register_secret": "redact",
    "IDEMPOTENT_METHODS": "retry",
    "full_jitter": "retry",
    "send_with_retries": "retry",
    "DEFAULT_BACKOFF_BASE": "settings",
    "DEFAULT_CONNECT_TIMEOUT": "settings",
    "DEFAULT_LIMITS": "settings",
    "DEFAULT_MAX_ATTEMPTS": "settings",
    "DEFAULT_MAX_BACKOFF": "settings",
    "DEFAULT_MAX_CONNECTIONS": "settings",
    "DEFAULT_MAX_KEEPALIVE": "settings",
    "DEFAULT_MAX_RETRY_AFTER": "settings",
    "DEFAULT_POOL_TIMEOUT": "settings",
    "DEFAULT_READ_TIMEOUT": "settings",
    "DEFAULT_TIMEOUT_CONFIG": "settings",
    "DEFAULT_USER_AGENT": "settings",
    "DEFAULT_WRITE_TIMEOUT": "settings",
    "HttpSettings": "settings",
    "summarize_error_body": "vendor_errors",
    "vendor_message": "vendor_errors",
}


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SOURCES})


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
