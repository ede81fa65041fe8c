"""What every rule evaluator shares: its settings, the catalog, and its ``when`` filter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..model import LinkKind, RecordKind
from .base import RuleSettings
from .catalog import Catalog
from .facts import TicketFacts
from .matcher import explain, matches
from .proposals import AddLink, AddNote, AnyProposal, Evidence


class Evaluator:
    """Sees tickets one by one (oldest first in a replay) and proposes what to do."""

    settings: Any

    def __init__(self, name: str, settings: RuleSettings, catalog: Catalog) -> None:
        self.name = name
        self.settings = settings
        self.catalog = catalog
        when = getattr(settings, "when", None)
        self._when = when if when is not None and when.root else None

    def applies(self, facts: TicketFacts, now: datetime) -> bool:
        """Whether the rule's ``when`` filter lets the ticket through."""
        return self._when is None or matches(self._when, facts, now)

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        raise NotImplementedError

    def explain(self, facts: TicketFacts, now: datetime) -> list[tuple[str, bool]]:
        """The rule's tests on one ticket, in words, each with whether it held."""
        checks = [(f"kind is one of {self.kinds()}", facts.kind.value in self.kinds())]
        if self._when is not None:
            checks += explain(self._when, facts, now)
        return checks

    def kinds(self) -> list[str]:
        """The ticket kinds the rule looks at."""
        return [RecordKind.INCIDENT.value]

    def link(
        self, facts: TicketFacts, target: str, target_name: str, kind: LinkKind, why: str
    ) -> AddLink:
        """Propose linking the ticket to ``target``, with the ticket as the evidence."""
        # Built from facts already validated, often per dry-run: skip validation.
        return AddLink.model_construct(
            rule=self.name,
            reason=why,
            record_id=facts.record_id,
            target_id=target,
            target_name=target_name,
            kind=kind,
            evidence=[evidence_of(facts, why)],
        )

    def note(self, facts: TicketFacts, note_id: str, body: str, why: str) -> AddNote:
        """Propose an internal note on the ticket, once: ``note_id`` is its stable id."""
        return AddNote(
            rule=self.name,
            reason=why,
            record_id=facts.record_id,
            note_id=note_id,
            body=body,
            evidence=[evidence_of(facts, why)],
        )


def evidence_of(facts: TicketFacts, why: str) -> Evidence:
    # Built from facts already validated, a million times per dry-run: skip validation.
    return Evidence.model_construct(
        record_id=facts.record_id,
        name=facts.name,
        title=facts.title,
        opened_at=facts.opened_at,
        system=facts.origin,
        why=why,
    )
