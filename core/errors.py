"""Errors, grouped by what the engine does next.

    ItsmhubError
    ├── ConfigError          fix the config or the credentials; that connector pauses
    │   └── SecretNotFound   a secret reference resolved to nothing
    ├── TransientError       retry later with backoff (429, 5xx, timeouts, dropped connections)
    │   ├── RateLimited      the vendor said when to come back (Retry-After, reset headers)
    │   ├── RemoteChanged    the remote record moved since we read it: re-read, merge, retry
    │   └── UnexpectedAnswer an answer the connector could not read (a truncated body, an
    │                        HTML page, a shape it did not expect): retried, then dead-lettered
    ├── RecordError          this one record goes to the dead-letter list; the batch goes on
    ├── WebhookRejected      a delivery failed its signature or freshness check (answer 401)
    ├── FatalError           a bug or an impossible state; the cycle stops
    │   └── NotImplementedYet  a connector method it does not implement: that write is
    │                          skipped (audited), the connector goes on
    ├── PluginError          a plugin could not be loaded or registered
    └── StoreError           the state store cannot be opened or migrated safely

Messages are shown to admins as they are: they must say what happened and how to fix it,
and must never carry a secret, a header or a raw response body.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What the engine does with an error."""

    PAUSE_CONNECTOR = "pause_connector"
    RETRY = "retry"
    DEAD_LETTER = "dead_letter"
    STOP = "stop"


class ItsmhubError(Exception):
    """Base of every error itsmhub raises on purpose."""

    action: Action = Action.STOP

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message} (fix: {self.fix})"
        return self.message


class ConfigError(ItsmhubError):
    """The configuration or the credentials are wrong; an admin has to act."""

    action = Action.PAUSE_CONNECTOR

    def __init__(self, message: str, *, key: str | None = None, fix: str | None = None) -> None:
        super().__init__(f"{key}: {message}" if key else message, fix=fix)
        self.key = key
        self.detail = message
        """The message without the key it is about (for a report that names it already)."""


class SecretNotFound(ConfigError):
    """A secret reference resolved to nothing; ``looked_in`` lists where we looked."""

    def __init__(self, ref: str, looked_in: list[str], *, key: str | None = None) -> None:
        where = ", ".join(looked_in) if looked_in else "no secret backend handles this scheme"
        super().__init__(
            f"secret {ref!r} resolved to nothing (looked in: {where})",
            key=key,
            fix="set the variable or create the file, or point the reference elsewhere",
        )
        self.ref = ref
        self.looked_in = looked_in


class TransientError(ItsmhubError):
    """Worth retrying: the remote is busy, slow or briefly unreachable."""

    action = Action.RETRY

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class RateLimited(TransientError):
    """The vendor asked us to slow down and (usually) said for how long."""


class RemoteChanged(TransientError):
    """A conditional write found the remote record changed since its base was agreed.

    The engine re-reads the record, merges (auditing any conflict) and writes again, so a
    concurrent human edit is never overwritten silently.
    """


class UnexpectedAnswer(TransientError):
    """The vendor (or something in front of it) answered what the connector cannot read.

    Raised at the connector boundary for exceptions that are not itsmhub errors, so one
    bad answer fails one write or one pull, never the process.
    """


class RecordError(ItsmhubError):
    """One record cannot be read, mapped or written; it is dead-lettered with this reason."""

    action = Action.DEAD_LETTER

    def __init__(
        self,
        message: str,
        *,
        remote_id: str | None = None,
        status: int | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message, fix=fix)
        self.remote_id = remote_id
        self.status = status


class WebhookRejected(ItsmhubError):
    """A webhook delivery is not authentic or not fresh; it is refused, never queued."""

    action = Action.DEAD_LETTER


class FatalError(ItsmhubError):
    """Something that should not happen; the cycle stops and the error is surfaced."""

    action = Action.STOP


class NotImplementedYet(FatalError):
    """A connector method whose support for this vendor has not been built yet."""

    def __init__(self, kind: str, method: str) -> None:
        super().__init__(
            f"the {kind} connector cannot {method} yet: this part of the plugin is not "
            "implemented in this version of itsmhub",
            fix=f"leave the {kind} connector out of sync runs until a release supports it",
        )
        self.kind = kind
        self.method = method


class PluginError(ItsmhubError):
    """A plugin could not be imported or its registrations were refused."""


class StoreError(ItsmhubError):
    """The state store cannot be opened or migrated without risking data."""


__all__ = [
    "Action",
    "ConfigError",
    "FatalError",
    "ItsmhubError",
    "NotImplementedYet",
    "PluginError",
    "RateLimited",
    "RecordError",
    "RemoteChanged",
    "SecretNotFound",
    "StoreError",
    "TransientError",
    "UnexpectedAnswer",
    "WebhookRejected",
]
