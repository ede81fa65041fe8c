"""Typed rows the store takes and returns (no dict soup): pydantic in, pydantic out."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from itsmhub.model import AnyRecord, UtcDateTime, utcnow


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoredRecord(_Row):
    """A record with the store's bookkeeping: ``version`` for optimistic concurrency."""

    record: AnyRecord
    version: int = Field(ge=1)
    created_at: UtcDateTime = Field(description="when the hub first stored it")
    updated_at: UtcDateTime = Field(description="when the hub last stored it")


class Base(_Row):
    """The neutral field values last agreed with one system for one record.

    A pulled change is diffed against this to find what that system changed; after a push it
    holds what was pushed, so the echo diffs to nothing.
    """

    record_id: str = Field(min_length=1)
    system: str = Field(min_length=1, description="the connector instance name")
    fields: dict[str, JsonValue] = Field(default_factory=dict)
    remote_version: str | None = Field(None, description="sys_mod_count, Jira updated, ...")
    remote_updated_at: UtcDateTime | None = None
    agreed_at: UtcDateTime = Field(default_factory=utcnow)
    links: list[tuple[str, str]] | None = Field(
        None,
        description="the links this system holds, as (kind, target hub id), last agreed; "
        "None before it was first known",
    )


class AuditEntry(_Row):
    """One line of the audit log."""

    id: int
    at: UtcDateTime
    event: str
    record_id: str | None = None
    connector: str | None = None
    detail: dict[str, JsonValue] = Field(default_factory=dict)


class DeadLetterStatus(StrEnum):
    OPEN = "open"
    RETRIED = "retried"
    DROPPED = "dropped"


class DeadLetterIn(_Row):
    """A record that keeps failing, as the caller reports it. ``payload`` must be redacted."""

    connector: str = Field(min_length=1)
    record_key: str = Field(min_length=1, description="remote id/key, or hub id for pushes")
    remote_version: str = Field(
        "", description="the vendor version that failed; '' when unknown (so repeats still match)"
    )
    error_class: str = Field(min_length=1, description="e.g. RecordError, or the HTTP error kind")
    http_status: int | None = None
    request_id: str | None = Field(None, description="the vendor's request id, for support")
    reason: str
    payload: JsonValue | None = None
    attempts: int = Field(1, ge=1, description="attempts this report stands for")


class DeadLetter(DeadLetterIn):
    """A dead-letter row: repeats of the same (connector, record_key, remote_version) add up."""

    id: int
    status: DeadLetterStatus
    first_seen: UtcDateTime
    last_seen: UtcDateTime


class OutboxOperation(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    COMMENT = "comment"
    LINK = "link"
    UNLINK = "unlink"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DEFERRED = "deferred"
    """Written by a vendor job that has not finished: followed through its ``job_id``."""
    DONE = "done"
    DEAD = "dead"


class OutboxItemIn(_Row):
    """Something one connector must write to its system, persisted before the call (G1, G9)."""

    connector: str = Field(min_length=1)
    record_id: str | None = None
    operation: OutboxOperation
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    correlation_marker: str | None = Field(
        None, description="idempotency key: enqueueing the same marker twice yields one row"
    )
    next_attempt_at: UtcDateTime | None = Field(None, description="None: due at once")


class OutboxItem(_Row):
    """An outbox row as stored."""

    id: int
    connector: str
    record_id: str | None
    operation: OutboxOperation
    payload: dict[str, JsonValue]
    correlation_marker: str | None
    status: OutboxStatus
    attempts: int = Field(description="claims so far, including the current one when in flight")
    next_attempt_at: UtcDateTime = Field(
        description="when pending: when it is due; when in flight: when the claim expires"
    )
    last_error: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    sent: JsonValue | None = Field(
        None, description="what the last attempt sent, written before the vendor call"
    )
    sent_earlier: list[JsonValue] | None = Field(
        None,
        description="what earlier attempts sent, differing from the last: any of them may "
        "have reached the vendor though its answer was lost",
    )
    first_attempt_at: UtcDateTime | None = None
    job_id: str | None = Field(None, description="the vendor job carrying it, when deferred")
    job_position: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> OutboxItem:
        """An outbox row as the store wrote it (every column), built without validating
        again: claiming a batch validated each row, a tenth of a push's CPU."""
        data = row._asdict()
        data["operation"] = OutboxOperation(data["operation"])
        data["status"] = OutboxStatus(data["status"])
        return cls.model_construct(**data)


class ConnectorRun(_Row):
    """One sync cycle of one connector, as recorded when it ended."""

    id: int
    connector: str
    started_at: UtcDateTime
    finished_at: UtcDateTime
    ok: bool
    error: str | None = None
    stats: dict[str, JsonValue] = Field(default_factory=dict)
    caught_up_to: UtcDateTime | None = Field(
        None, description="the vendor time everything before which had been pulled"
    )
    worker: str | None = Field(None, description="the daemon worker that ran it (host:pid)")


__all__ = [
    "AuditEntry",
    "Base",
    "ConnectorRun",
    "DeadLetter",
    "DeadLetterIn",
    "DeadLetterStatus",
    "OutboxItem",
    "OutboxItemIn",
    "OutboxOperation",
    "OutboxStatus",
    "StoredRecord",
]
