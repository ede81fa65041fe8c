"""What rules propose: create a problem, link two tickets, add a note, resolve an incident.

Rules only propose. A dry-run prints proposals; ``rules apply`` and the sync cycle carry
them out through the hub and its outbox (``itsmhub.rules.effects``). Each proposal carries
its evidence in words an admin can check.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ..model import LinkKind


class Evidence(BaseModel):
    """One ticket a proposal rests on, and why it counts."""

    model_config = ConfigDict(frozen=True)

    record_id: str
    name: str = Field(description="its key in the tool it came from, else the hub id")
    title: str
    opened_at: datetime
    system: str | None = None
    why: str


class Action(StrEnum):
    CREATE_PROBLEM = "create_problem"
    LINK = "link"
    NOTE = "note"
    RESOLVE = "resolve"


class _Proposal(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)

    @property
    def subjects(self) -> set[str]:
        """The hub records this proposal concerns (for ``rules explain``)."""
        return {e.record_id for e in self.evidence}


class CreateProblem(_Proposal):
    """Open a problem in ``create_in`` and link ``members`` to it (caused_by)."""

    action: Literal[Action.CREATE_PROBLEM] = Action.CREATE_PROBLEM
    problem_id: str = Field(description="the hub id the new problem will have")
    title: str
    description: str
    service: str | None = None
    category: str | None = None
    create_in: str
    options: dict[str, JsonValue] = Field(default_factory=dict)
    members: list[str]

    @property
    def subjects(self) -> set[str]:
        return {self.problem_id, *self.members}


class AddLink(_Proposal):
    """Link ``record_id`` to ``target_id``."""

    action: Literal[Action.LINK] = Action.LINK
    record_id: str
    target_id: str
    target_name: str = Field("", description="how people know the target (its key)")
    kind: LinkKind

    @property
    def subjects(self) -> set[str]:
        return {self.record_id, self.target_id}


class AddNote(_Proposal):
    """Add an internal note to ``record_id``, once: ``note_id`` is the comment's id."""

    action: Literal[Action.NOTE] = Action.NOTE
    record_id: str
    note_id: str
    body: str

    @property
    def subjects(self) -> set[str]:
        return {self.record_id}


class ResolveIncident(_Proposal):
    """Resolve ``record_id`` as fixed by the problem ``problem_id``."""

    action: Literal[Action.RESOLVE] = Action.RESOLVE
    record_id: str
    problem_id: str
    notes: str

    @property
    def subjects(self) -> set[str]:
        return {self.record_id, self.problem_id}


Proposal = Annotated[
    CreateProblem | AddLink | AddNote | ResolveIncident, Field(discriminator="action")
]
AnyProposal = CreateProblem | AddLink | AddNote | ResolveIncident
