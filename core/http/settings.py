"""Settings shared by every connector's HTTP client, with named, bounded defaults.

Nothing is left unbounded by accident: every timeout, pool size, retry count and wait has a
named default here (as httpx's ``_config.py`` does with ``DEFAULT_TIMEOUT_CONFIG``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, FilePath, field_validator, model_validator

if TYPE_CHECKING:
    import httpx

    DEFAULT_TIMEOUT_CONFIG: httpx.Timeout
    """The default timeouts as an ``httpx.Timeout`` (built on first use)."""
    DEFAULT_LIMITS: httpx.Limits
    """The default pool limits as an ``httpx.Limits`` (built on first use)."""

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds to open a TCP+TLS connection; vendors that take longer are down for us."""
DEFAULT_READ_TIMEOUT = 60.0
"""Seconds between bytes of a response; ServiceNow cancels Table API transactions at 60 s."""
DEFAULT_WRITE_TIMEOUT = 60.0
DEFAULT_POOL_TIMEOUT = 10.0
"""Seconds to wait for a free pooled connection before giving up (then retried)."""

# ServiceNow serves ~4 concurrent API calls per node and Okta's concurrency limit is org-wide:
# a small pool is polite and still keeps a connector busy.
DEFAULT_MAX_CONNECTIONS = 10
DEFAULT_MAX_KEEPALIVE = 5

DEFAULT_MAX_ATTEMPTS = 5
"""Attempts per call, the first included; the outbox schedules anything beyond."""
DEFAULT_BACKOFF_BASE = 1.0
"""Seconds; the n-th retry waits a random time in [0, base * 2**(n-1)] (full jitter)."""
DEFAULT_MAX_BACKOFF = 60.0
"""Cap on one computed backoff, in seconds."""
DEFAULT_MAX_RETRY_AFTER = 120.0
"""Longest wait a vendor may impose inside one call; longer ones become ``RateLimited``."""


def _package_version() -> str:
    try:
        return version("itsmhub")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0"


DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
DEFAULT_USER_AGENT = f"itsmhub/{_package_version()}"

_Seconds = Annotated[float, Field(gt=0)]


class HttpSettings(BaseModel):
    """How itsmhub talks HTTP to one vendor: timeouts, pool, TLS, proxy and retry budget."""

    # hide_input_in_errors: a mistyped proxy URL may carry a password; errors must not echo it.
    model_config = ConfigDict(
        extra="forbid", frozen=True, hide_input_in_errors=True, use_attribute_docstrings=True
    )

    connect_timeout: _Seconds = DEFAULT_CONNECT_TIMEOUT
    """Seconds to open a connection (TCP and TLS)."""
    read_timeout: _Seconds = DEFAULT_READ_TIMEOUT
    """Seconds to wait between bytes of a response."""
    write_timeout: _Seconds = DEFAULT_WRITE_TIMEOUT
    """Seconds to wait while sending a request body."""
    pool_timeout: _Seconds = DEFAULT_POOL_TIMEOUT
    """Seconds to wait for a free pooled connection."""

    max_connections: Annotated[int, Field(ge=1)] = DEFAULT_MAX_CONNECTIONS
    """Connections open at once to one vendor."""
    max_keepalive: Annotated[int, Field(ge=0)] = DEFAULT_MAX_KEEPALIVE
    """Idle connections kept for reuse."""

    verify: bool = True
    """Verify the vendor's TLS certificate. Only a development setup may turn this off."""
    ca_bundle: FilePath | None = None
    """A PEM file of CAs to trust instead of certifi's (a corporate TLS-inspecting proxy)."""
    trust_env: bool = False
    """Off by default: with it, httpx honours HTTP(S)_PROXY/NO_PROXY, which silently reroute
    requests (and their credentials) through another host, and SSLKEYLOGFILE, which writes the
    TLS session keys to disk so anyone with the file can decrypt captured traffic."""
    proxy: str | None = None
    """An explicit proxy URL (``http://host:port`` or ``https://...``); opt-in only."""

    max_attempts: Annotated[int, Field(ge=1)] = DEFAULT_MAX_ATTEMPTS
    """Attempts per call, the first included, before the outbox takes over."""
    backoff_base: _Seconds = DEFAULT_BACKOFF_BASE
    """Seconds; the n-th retry waits up to base × 2^(n-1) (full jitter)."""
    max_backoff: _Seconds = DEFAULT_MAX_BACKOFF
    """Longest computed backoff, in seconds."""
    max_retry_after: Annotated[float, Field(ge=0)] = DEFAULT_MAX_RETRY_AFTER
    """Longest Retry-After waited inside one call; longer waits are scheduled by the outbox."""

    user_agent: Annotated[str, Field(min_length=1, max_length=200)] = DEFAULT_USER_AGENT
    """The User-Agent header sent to vendors."""
    max_response_bytes: Annotated[int, Field(ge=1024)] = DEFAULT_MAX_RESPONSE_BYTES
    """Largest answer read from a vendor, in bytes (after decompression): a runaway or
    hostile endpoint must not exhaust memory (OWASP API10). Generous: a 10,000-row
    ServiceNow page is tens of MB."""

    @field_validator("proxy")
    @classmethod
    def _check_proxy(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = urlsplit(value)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise ValueError("expected a proxy URL such as 'http://proxy.example:3128'")
        # Config files never hold secrets (see itsmhub.secrets): no user:password@ here.
        if url.username is not None or url.password is not None:
            raise ValueError(
                "proxy URLs with credentials are not supported: config files must never hold "
                "secrets; use a proxy that authenticates by network or client certificate"
            )
        return value

    @field_validator("user_agent")
    @classmethod
    def _check_user_agent(cls, value: str) -> str:
        if any(ch in value for ch in "\r\n"):
            raise ValueError("user_agent must be a single line")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> HttpSettings:
        if self.ca_bundle is not None and not self.verify:
            raise ValueError("ca_bundle is set but verify is false: drop one of the two")
        if self.max_keepalive > self.max_connections:
            raise ValueError("max_keepalive cannot exceed max_connections")
        return self

    @property
    def timeout(self) -> httpx.Timeout:
        """The four timeouts as an ``httpx.Timeout``."""
        import httpx

        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )

    @property
    def limits(self) -> httpx.Limits:
        """The pool limits as an ``httpx.Limits``."""
        import httpx

        return httpx.Limits(
            max_connections=self.max_connections, max_keepalive_connections=self.max_keepalive
        )


def __getattr__(name: str) -> Any:
    # httpx objects, built on first use: importing httpx is kept off the CLI's start-up.
    if name == "DEFAULT_TIMEOUT_CONFIG":
        return HttpSettings().timeout
    if name == "DEFAULT_LIMITS":
        return HttpSettings().limits
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "HttpSettings",
]
