"""The values a connector and the engine exchange: what is read, what is written, and what
each write produced. All are frozen pydantic models; see ``connector.py`` for the methods.

Reading::

    Stream          one change feed of a connector, with its own cursor
    PullRequest     what the engine asks a pull to read (a stream, its cursor, a range)
    PullItem        what a pull yields:
      RemoteChange    one record as the remote holds it now, mapped to the neutral model
      RemoteComments  comments of one record, read without the record (an events feed)
      RejectedRecord  a payload that could not be read: dead-lettered, never dropped
      Checkpoint      everything before it is complete up to this cursor

Writing::

    FieldChanges    the fields one system must receive, their old values, the expected version
    Write           one create or update of a ``write_many`` call
    WriteOutcome    per write: RemoteChange (create), RemoteVersion (update), Deferred
                    (an asynchronous job will tell), or the error it raised
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    computed_field,
    field_validator,
    model_validator,
)

from .errors import ItsmhubError
from .model import AnyRecord, Comment, ExternalRef, RecordKind, UtcDateTime


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- reading -----------------------------------------------------------------------------


class Stream(_Value):
    """One change feed of a connector. Each stream has its own cursor, and a cycle pulls
    a connector's streams in the order the connector declares them.

    A ticketing tool often has one stream per record kind (the default); a tool whose
    export covers every kind at once declares one stream for all of them (Zendesk's
    incremental ticket export), and a feed of comments only declares its own stream.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_.:-]*$", description="the cursor's name")
    kinds: frozenset[RecordKind] = Field(description="the record kinds it yields")
    overlap: timedelta = Field(
        timedelta(0),
        description="how far behind its watermark a pull must re-read at least: the "
        "vendor's clock granularity or index lag (the engine uses the larger of this and "
        "[sync] overlap)",
    )
    backfill: bool = Field(True, description="whether it can read a bounded range of history")

    @classmethod
    def of_kind(cls, kind: RecordKind, **fields: Any) -> Stream:
        """The default stream of one record kind, named after it."""
        return cls(name=kind.value, kinds=frozenset({kind}), **fields)


class Cursor(_Value):
    """How far a stream's pull got; the connector's own state, stored by the engine.

    - ``watermark``: the vendor time everything before which has been read; the engine
      moves it back by the overlap before the next pull;
    - ``seen``: ``(remote_id, version)`` pairs read at the watermark: the engine skips
      them when the overlap reads them again;
    - ``token``: a vendor resume token (a page cursor, an ``after`` link);
    - ``state``: anything else the connector needs to resume (JSON values).
    """

    watermark: UtcDateTime | None = None
    token: str | None = None
    seen: frozenset[tuple[str, str]] = frozenset()
    state: dict[str, JsonValue] = Field(default_factory=dict)


class PullRequest(_Value):
    """What the engine asks a connector to read: one stream, from its cursor (or a range).

    ``PullRequest(kind=RecordKind.INCIDENT)`` is short for the default stream of one kind.
    """

    stream: Stream
    cursor: Cursor | None = None
    since: UtcDateTime | None = Field(None, description="backfill lower bound (inclusive)")
    until: UtcDateTime | None = Field(None, description="backfill upper bound (exclusive)")

    @model_validator(mode="before")
    @classmethod
    def _kind_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" in data and "stream" not in data:
            data = dict(data)
            data["stream"] = Stream.of_kind(RecordKind(data.pop("kind")))
        return data

    @property
    def kind(self) -> RecordKind:
        """The one record kind of a single-kind stream (ValueError for a mixed stream)."""
        if len(self.stream.kinds) != 1:
            kinds = ", ".join(sorted(k.value for k in self.stream.kinds))
            raise ValueError(f"stream {self.stream.name!r} yields several kinds ({kinds})")
        return next(iter(self.stream.kinds))

    @property
    def backfill(self) -> bool:
        return self.since is not None or self.until is not None


class RemoteChange(_Value):
    """One record as the remote holds it now, already mapped to the neutral model."""

    kind: RecordKind
    remote_id: str
    version: str = Field(description="the vendor's version: sys_mod_count, updated stamp")
    changed_at: UtcDateTime
    record: AnyRecord | None = Field(None, description="None when the remote deleted it")
    deleted: bool = False
    marker: str | None = Field(None, description="our correlation marker, if it carries one")
    links_complete: bool = Field(
        False,
        description="the record's links of the connector's link kinds are all of them: a "
        "link the system held before and no longer lists was removed there",
    )


class RemoteComments(_Value):
    """Comments of one record read without the record itself (a comment events feed).

    The engine folds them into the record's comments as if they had come with it; if the
    record is not known yet, they wait for it.
    """

    remote_id: str = Field(description="the record the comments belong to, in this system")
    comments: tuple[Comment, ...]
    changed_at: UtcDateTime
    version: str = Field("", description="the event's id, for the dead-letter list")


class RejectedRecord(_Value):
    """A remote record that could not be read or mapped; it is dead-lettered, not dropped."""

    kind: RecordKind
    remote_id: str | None
    version: str | None = None
    reason: str
    error_class: str = "RecordError"
    excerpt: dict[str, JsonValue] | None = Field(
        None, description="a redacted excerpt of the payload, for the dead-letter list"
    )


class Checkpoint(_Value):
    """Everything yielded before this is complete up to ``cursor``: safe to persist."""

    cursor: Cursor
    remaining: int | None = Field(
        None,
        ge=0,
        description="changes still to come after this checkpoint, when the vendor says "
        "(ServiceNow's X-Total-Count): a backfill's progress shows its total and an ETA",
    )


PullItem = RemoteChange | RemoteComments | RejectedRecord | Checkpoint


# --- writing -----------------------------------------------------------------------------


class FieldChange(_Value):
    field: str
    old: JsonValue = None
    new: JsonValue = None


class RemoteVersion(_Value):
    """What a write produced, so the base can record it and the echo is recognised."""

    version: str | None = None
    updated_at: UtcDateTime | None = None


class FieldChanges(_Value):
    """The neutral fields one system must receive, with the values it had before.

    ``expected`` is the version the system held when those old values were agreed (when
    known): a vendor with compare-and-set (Zendesk's ``safe_update``) writes only if the
    record is still at it; the others compare the old values (:func:`check_unchanged`).
    """

    kind: RecordKind
    changes: tuple[FieldChange, ...]
    expected: RemoteVersion | None = None

    def names(self) -> list[str]:
        return [change.field for change in self.changes]

    def new_values(self) -> dict[str, JsonValue]:
        return {change.field: change.new for change in self.changes}


class Deferred(_Value):
    """A write the vendor took as an asynchronous job (Zendesk's ``create_many``): its
    outcome is read later through :meth:`~itsmhub.Connector.job_outcomes`."""

    job_id: str = Field(min_length=1)
    position: int = Field(0, ge=0, description="this write's place in the job's results")
    check_after: timedelta = Field(timedelta(seconds=2), description="when to ask first")


class WriteCreate(_Value):
    """One create in a :meth:`Connector.write_many` call: what :meth:`Connector.create` takes."""

    record: AnyRecord
    marker: str = Field(min_length=1)
    options: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="the routing rule's target options for this connector (see "
        "Connector.route_options), as configured",
    )


class WriteUpdate(_Value):
    """One update in a :meth:`Connector.write_many` call: what :meth:`Connector.update` takes."""

    ref: ExternalRef
    changes: FieldChanges


Write = WriteCreate | WriteUpdate
WriteOutcome = RemoteChange | RemoteVersion | Deferred | ItsmhubError
"""Per write: what ``create`` (a RemoteChange) or ``update`` (a RemoteVersion) would have
returned, ``Deferred`` for a write an asynchronous job carries out, or the error it would
have raised."""


# --- checks and webhooks -------------------------------------------------------------------


class CheckItem(_Value):
    name: str
    ok: bool
    detail: str = ""
    fix: str | None = None


class CheckResult(_Value):
    """The answer to ``itsmhub connectors check`` for one connector."""

    connector: str
    items: tuple[CheckItem, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)


class WebhookRequest(_Value):
    """A delivery as it reached the hub: method, headers (lower-cased names), raw body."""

    method: str = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: bytes = b""
    received_at: UtcDateTime

    @field_validator("headers", mode="before")
    @classmethod
    def _lower_names(cls, headers: Mapping[str, str]) -> dict[str, str]:
        return {str(k).lower(): str(v) for k, v in dict(headers).items()}


class WebhookEvent(_Value):
    """A verified nudge: record ``remote_id`` may have changed; re-read it through the API."""

    kind: RecordKind | None = None
    remote_id: str
    event_type: str
    delivery_id: str | None = Field(None, description="the vendor's id, for de-duplication")
    occurred_at: UtcDateTime | None = None


class WebhookReply(_Value):
    """What a verified delivery announces, and what to answer the vendor.

    ``challenge`` is a JSON body the vendor expects back (Okta's one-time verification
    GET); otherwise the hub answers 2xx once the events are queued.
    """

    events: tuple[WebhookEvent, ...] = ()
    challenge: dict[str, JsonValue] | None = None

    @classmethod
    def of(cls, *events: WebhookEvent) -> Self:
        return cls(events=events)


__all__ = [
    "CheckItem",
    "CheckResult",
    "Checkpoint",
    "Cursor",
    "Deferred",
    "FieldChange",
    "FieldChanges",
    "PullItem",
    "PullRequest",
    "RejectedRecord",
    "RemoteChange",
    "RemoteComments",
    "RemoteVersion",
    "Stream",
    "WebhookEvent",
    "WebhookReply",
    "WebhookRequest",
    "Write",
    "WriteCreate",
    "WriteOutcome",
    "WriteUpdate",
]
