"""The neutral records: incidents, problems, known errors, and the people and devices
they concern. Every record carries its external refs and its links, so MTTR, recurrence
and cross-tool links can be computed from the hub alone."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    field_validator,
    model_validator,
)

from .enums import (
    Impact,
    IncidentStatus,
    KnownErrorStatus,
    LinkKind,
    Priority,
    ProblemStatus,
    RecordKind,
    Urgency,
    priority_for,
)
from .ids import new_id
from .text import Line, OptionalText, Text
from .time import UtcDateTime
from .values import Comment, Enrichment, ExternalRef, Link, PersonRef

NOT_SYNCED: frozenset[str] = frozenset(
    {"id", "kind", "refs", "links", "comments", "created_at", "updated_at", "enrichment"}
)
"""Record attributes that are not synced field by field: identity and bookkeeping, what
travels by its own mechanism (comments are appended, links travel as links), and what the
hub alone keeps (enrichment). A connector never writes them as fields."""


class ResolutionCode(StrEnum):
    """How a ticket ended; rules tell a real fix from a workaround by it."""

    FIXED = "fixed"
    WORKAROUND = "workaround"
    DUPLICATE = "duplicate"
    NOT_REPRODUCIBLE = "not_reproducible"
    CANCELED = "canceled"
    RISK_ACCEPTED = "risk_accepted"
    OTHER = "other"


class Record(BaseModel):
    """What every record has: a hub id, where it lives, and what it links to."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(default_factory=new_id, min_length=1)
    refs: list[ExternalRef] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None

    @field_validator("refs")
    @classmethod
    def _one_ref_per_system(cls, refs: list[ExternalRef]) -> list[ExternalRef]:
        seen: set[str] = set()
        for ref in refs:
            if ref.system in seen:
                raise ValueError(f"two refs for system {ref.system!r}; a record has one per system")
            seen.add(ref.system)
        return refs

    def ref_for(self, system: str) -> ExternalRef | None:
        """The record's ref in ``system``, if it lives there."""
        return next((ref for ref in self.refs if ref.system == system), None)

    def links_of(self, kind: LinkKind) -> list[Link]:
        return [link for link in self.links if link.kind is kind]


class Ticket(Record):
    """Fields incidents, problems and known errors share."""

    title: Line = Field(min_length=1, max_length=1000)
    description: Text = ""
    reporter: PersonRef | None = None
    assignee: PersonRef | None = None
    assignment_group: str | None = None
    service: str | None = Field(None, description="the business service or CI affected")
    category: str | None = None
    tags: list[str] = Field(default_factory=list)
    comments: list[Comment] = Field(default_factory=list)
    custom: dict[str, JsonValue] = Field(
        default_factory=dict, description="mapped custom fields, by neutral name"
    )
    enrichment: Enrichment = Field(
        default_factory=Enrichment, description="hub-only: what directories told the hub"
    )

    @field_validator("tags")
    @classmethod
    def _tags_are_a_set(cls, tags: list[str]) -> list[str]:
        # Tags are a set in every tool; a canonical order keeps merges deterministic.
        return sorted(set(tags))


class _Prioritised(Ticket):
    impact: Impact | None = None
    urgency: Urgency | None = None
    priority: Priority | None = Field(
        None, description="defaults to the impact × urgency matrix when both are known"
    )

    @model_validator(mode="after")
    def _priority_from_matrix(self) -> Self:
        if self.priority is None and self.impact is not None and self.urgency is not None:
            # object.__setattr__ avoids re-running validation on assignment.
            object.__setattr__(self, "priority", priority_for(self.impact, self.urgency))
        return self


class Incident(_Prioritised):
    kind: Literal[RecordKind.INCIDENT] = RecordKind.INCIDENT
    status: IncidentStatus = IncidentStatus.NEW
    major: bool = False
    opened_at: UtcDateTime | None = None
    resolved_at: UtcDateTime | None = None
    closed_at: UtcDateTime | None = None
    resolution_code: ResolutionCode | None = None
    resolution_notes: OptionalText = None
    device_id: str | None = Field(None, description="the hub Device involved, if known")
    # SLA targets as the tool that runs the SLA computed them (ServiceNow task_sla, Jira
    # Service Management SLA goals, Zendesk SLA policies); reports measure compliance.
    response_due_at: UtcDateTime | None = Field(
        None, description="when the first response was due under the tool's SLA"
    )
    resolution_due_at: UtcDateTime | None = Field(
        None, description="when resolution was due under the tool's SLA"
    )


class Problem(_Prioritised):
    kind: Literal[RecordKind.PROBLEM] = RecordKind.PROBLEM
    status: ProblemStatus = ProblemStatus.NEW
    known_error: bool = False
    root_cause: OptionalText = None
    workaround: OptionalText = None
    fix: OptionalText = None
    resolved_at: UtcDateTime | None = None
    closed_at: UtcDateTime | None = None
    resolution_code: ResolutionCode | None = None


class KnownError(Ticket):
    """A documented problem with a workaround; links to its problem by ``known_error_of``."""

    kind: Literal[RecordKind.KNOWN_ERROR] = RecordKind.KNOWN_ERROR
    status: KnownErrorStatus = KnownErrorStatus.DRAFT
    workaround: OptionalText = None
    cause: OptionalText = None
    published_at: UtcDateTime | None = None

    @model_validator(mode="after")
    def _published_needs_workaround(self) -> Self:
        if self.status is KnownErrorStatus.PUBLISHED and not self.workaround:
            raise ValueError("a published known error needs a workaround")
        return self


class Person(Record):
    """Someone in the directory; their manager is a ``managed_by`` link."""

    kind: Literal[RecordKind.PERSON] = RecordKind.PERSON
    display_name: str = Field(min_length=1)
    email: str | None = None
    login: str | None = None
    department: str | None = None
    title: str | None = None
    groups: list[str] = Field(default_factory=list, description="directory group names")
    active: bool = True

    @field_validator("groups")
    @classmethod
    def _groups_are_a_set(cls, groups: list[str]) -> list[str]:
        return sorted(set(groups))


class Device(Record):
    """A managed device; the people using it are ``used_by`` links."""

    kind: Literal[RecordKind.DEVICE] = RecordKind.DEVICE
    name: str = Field(min_length=1)
    serial_number: str | None = None
    platform: str | None = None
    os_version: str | None = None
    status: str | None = Field(None, description="the directory's status (ACTIVE, SUSPENDED…)")
    active: bool = True


AnyRecord = Annotated[
    Incident | Problem | KnownError | Person | Device, Field(discriminator="kind")
]
AnyTicket = Incident | Problem | KnownError
AnyRecordType = Incident | Problem | KnownError | Person | Device

RECORD_TYPES: dict[RecordKind, type[Record]] = {
    RecordKind.INCIDENT: Incident,
    RecordKind.PROBLEM: Problem,
    RecordKind.KNOWN_ERROR: KnownError,
    RecordKind.PERSON: Person,
    RecordKind.DEVICE: Device,
}

_any_record: TypeAdapter[Any] = TypeAdapter(AnyRecord)


def parse_record(data: dict[str, Any] | str | bytes) -> AnyRecordType:
    """Build the right record class from its dict or JSON form (by its ``kind``)."""
    if isinstance(data, str | bytes):
        return _any_record.validate_json(data)
    return _any_record.validate_python(data)
