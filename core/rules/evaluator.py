"""What every rule evaluator shares: its settings, the catalog, and its ``when`` filter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .base import RuleSettings
from .catalog import Catalog
from .facts import TicketFacts
from .matcher import matches
from .proposals import AnyProposal, Evidence


class Evaluator:
    """Sees tickets one by one (oldest first in a replay) and proposes what to do."""

    settings: Any

    def __init__(self, name: str, settings: RuleSettings, catalog: Catalog) -> None:
        self.name = name
        self.settings = settings
        self.catalog = catalog

    def applies(self, facts: TicketFacts, now: datetime) -> bool:
        """Whether the rule's ``when`` filter lets the ticket through."""
        when = getattr(self.settings, "when", None)
        return when is None or matches(when, facts, now)

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        raise NotImplementedError


def evidence_of(facts: TicketFacts, why: str) -> Evidence:
    return Evidence(
        record_id=facts.record_id,
        name=facts.name,
        title=facts.title,
        opened_at=facts.opened_at,
        system=facts.origin,
        why=why,
    )
