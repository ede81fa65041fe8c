"""Small value types records are built from: references, people, links, comments."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .enums import LinkKind, Visibility
from .ids import new_id
from .text import Text
from .time import UtcDateTime


class ExternalRef(BaseModel):
    """Where a record lives in one configured system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str = Field(min_length=1, description="the connector instance name in config.toml")
    remote_id: str = Field(min_length=1, description="the vendor's stable id (sys_id, issue id)")
    key: str | None = Field(None, description="the human key: OPS-123, INC0010001, 4711")
    url: str | None = Field(None, description="a link a person can open")
    remote_type: str | None = Field(
        None, description="the vendor's container for it: ServiceNow table, Jira issue type"
    )


class PersonRef(BaseModel):
    """A person as a ticket names them. Who they are in the directory (their hub Person,
    department, devices) is the ticket's :class:`Enrichment`, which is never synced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    display_name: str | None = None
    email: str | None = None
    external: ExternalRef | None = Field(
        None, description="the account in the source tool (a sys_user, an accountId)"
    )


class Enrichment(BaseModel):
    """What identity and device tools told the hub about a ticket.

    Hub-only: it is never written to a ticketing tool and never compared with one, so
    learning a reporter's department does not push an update anywhere. Enrichers fill it
    through patches (:class:`~itsmhub.EnrichmentPatch`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    reporter_email: str | None = Field(
        None, description="the reporter's e-mail, when the ticket named them by an id only"
    )
    reporter_id: str | None = Field(None, description="the hub Person who reported it")
    assignee_email: str | None = None
    assignee_id: str | None = Field(None, description="the hub Person it is assigned to")
    department: str | None = Field(None, description="the reporter's department")
    title: str | None = Field(None, description="the reporter's job title")
    manager_id: str | None = Field(None, description="the reporter's manager (hub Person)")
    groups: tuple[str, ...] = Field((), description="the reporter's directory groups")
    device_ids: tuple[str, ...] = Field((), description="hub Devices of the reporter")
    device_id: str | None = Field(
        None, description="the hub Device the ticket names (by its serial number)"
    )
    sources: tuple[str, ...] = Field((), description="the enrichers that contributed")


class Link(BaseModel):
    """A typed edge from the record holding it to another record.

    In the hub ``target_id`` names the other hub record. A connector reading a link only
    knows the target's ref in its own system: it sets ``target_ref``, and the engine
    resolves it to the hub id.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: LinkKind
    target_id: str | None = Field(None, min_length=1)
    target_ref: ExternalRef | None = None
    origin: str | None = Field(None, description="the system or rule that established it")
    reason: str | None = Field(None, description="why, in words an admin can check")

    @model_validator(mode="after")
    def _has_a_target(self) -> Self:
        if self.target_id is None and self.target_ref is None:
            raise ValueError("a link needs target_id (a hub record) or target_ref")
        return self


class Comment(BaseModel):
    """One journal entry; ``refs`` are its copies in each system."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(default_factory=new_id)
    body: Text
    visibility: Visibility = Visibility.INTERNAL
    author: PersonRef | None = None
    created_at: UtcDateTime
    updated_at: UtcDateTime | None = None
    refs: list[ExternalRef] = Field(default_factory=list)
