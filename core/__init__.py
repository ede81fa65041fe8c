"""itsmhub: one neutral model of incidents, problems and known errors, synced both ways
with the tools a company already runs.

This module is the public API. Plugins import from here and nowhere deeper.
"""

from importlib import import_module as _import_module
from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from .checks import Probe, check_reads
from .connector import (
    WRITE_CAPABILITIES,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    VendorHosts,
    check_unchanged,
)
from .durations import Duration
from .errors import (
    Action,
    ConfigError,
    FatalError,
    ItsmhubError,
    NotImplementedYet,
    PluginError,
    RateLimited,
    RecordError,
    RemoteChanged,
    SecretNotFound,
    StoreError,
    TransientError,
    UnexpectedAnswer,
    WebhookRejected,
)
from .exchange import (
    CheckItem,
    Checkpoint,
    CheckResult,
    Cursor,
    Deferred,
    FieldChange,
    FieldChanges,
    PullItem,
    PullRequest,
    RejectedRecord,
    RemoteChange,
    RemoteComments,
    RemoteVersion,
    Stream,
    WebhookEvent,
    WebhookReply,
    WebhookRequest,
    Write,
    WriteCreate,
    WriteOutcome,
    WriteUpdate,
)
from .extensions import (
    ASGIApp,
    Directory,
    EmulatedConnector,
    Emulator,
    Enricher,
    EnrichmentContext,
    EnrichmentPatch,
    LookupCache,
)
from .footers import (
    Footer,
    comment_footer,
    correction_footer,
    correction_marker,
    read_footer,
)
from .hookspecs import hookimpl
from .http.dialect import GENERIC, VendorDialect, texts
from .http.redact import register_secret
from .http.settings import HttpSettings
from .model import (
    NOT_SYNCED,
    PRIORITY_MATRIX,
    RECORD_TYPES,
    AnyRecord,
    AnyRecordType,
    AnyTicket,
    Comment,
    Device,
    Enrichment,
    ExternalRef,
    Impact,
    Incident,
    IncidentStatus,
    KnownError,
    KnownErrorStatus,
    Link,
    LinkKind,
    Person,
    PersonRef,
    Priority,
    Problem,
    ProblemStatus,
    Record,
    RecordKind,
    ResolutionCode,
    Ticket,
    Urgency,
    UtcDateTime,
    Visibility,
    ensure_utc,
    new_id,
    normalize_line,
    normalize_text,
    parse_record,
    priority_for,
    utcnow,
)
from .paging import PageGuard, read_ahead
from .rules import Conditions, RuleSettings, RuleType
from .secrets import SecretRef, SecretReference
from .validation import (
    EmailAddress,
    ErrorLoc,
    Matches,
    NeutralFieldName,
    NonEmptyStr,
    complete_map,
    distinct_map,
    errors_at,
    validate_together,
)

if _TYPE_CHECKING:
    from .http import (
        OAuthFlow,
        RateBudget,
        RateLimitState,
        build_client,
        raise_for_status,
        send_with_retries,
    )

# What needs httpx loads on first use, so that `import itsmhub` (every CLI start, every
# TAB of shell completion) does not pay for it.
_LAZY = frozenset(
    {
        "OAuthFlow",
        "RateBudget",
        "RateLimitState",
        "build_client",
        "raise_for_status",
        "send_with_retries",
    }
)


def __getattr__(name: str) -> _Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(".http", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


try:
    __version__ = _version("itsmhub")
except _PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "GENERIC",
    "NOT_SYNCED",
    "PRIORITY_MATRIX",
    "RECORD_TYPES",
    "WRITE_CAPABILITIES",
    "ASGIApp",
    "Action",
    "AnyRecord",
    "AnyRecordType",
    "AnyTicket",
    "CheckItem",
    "CheckResult",
    "Checkpoint",
    "Comment",
    "Conditions",
    "ConfigError",
    "Connector",
    "ConnectorContext",
    "ConnectorSettings",
    "Cursor",
    "Deferred",
    "Device",
    "Directory",
    "Duration",
    "EmailAddress",
    "EmulatedConnector",
    "Emulator",
    "Enricher",
    "Enrichment",
    "EnrichmentContext",
    "EnrichmentPatch",
    "ErrorLoc",
    "ExternalRef",
    "FatalError",
    "FieldChange",
    "FieldChanges",
    "Footer",
    "HttpSettings",
    "Impact",
    "Incident",
    "IncidentStatus",
    "ItsmhubError",
    "KnownError",
    "KnownErrorStatus",
    "Link",
    "LinkKind",
    "LookupCache",
    "Matches",
    "NeutralFieldName",
    "NonEmptyStr",
    "NotImplementedYet",
    "OAuthFlow",
    "PageGuard",
    "Person",
    "PersonRef",
    "PluginError",
    "Priority",
    "Probe",
    "Problem",
    "ProblemStatus",
    "PullItem",
    "PullRequest",
    "RateBudget",
    "RateLimitState",
    "RateLimited",
    "Record",
    "RecordError",
    "RecordKind",
    "RejectedRecord",
    "RemoteChange",
    "RemoteChanged",
    "RemoteComments",
    "RemoteVersion",
    "ResolutionCode",
    "RuleSettings",
    "RuleType",
    "SecretNotFound",
    "SecretRef",
    "SecretReference",
    "StoreError",
    "Stream",
    "Ticket",
    "TransientError",
    "UnexpectedAnswer",
    "Urgency",
    "UtcDateTime",
    "VendorDialect",
    "VendorHosts",
    "Visibility",
    "WebhookEvent",
    "WebhookRejected",
    "WebhookReply",
    "WebhookRequest",
    "Write",
    "WriteCreate",
    "WriteOutcome",
    "WriteUpdate",
    "__version__",
    "build_client",
    "check_reads",
    "check_unchanged",
    "comment_footer",
    "complete_map",
    "correction_footer",
    "correction_marker",
    "distinct_map",
    "ensure_utc",
    "errors_at",
    "hookimpl",
    "new_id",
    "normalize_line",
    "normalize_text",
    "parse_record",
    "priority_for",
    "raise_for_status",
    "read_ahead",
    "read_footer",
    "register_secret",
    "send_with_retries",
    "texts",
    "utcnow",
    "validate_together",
]
