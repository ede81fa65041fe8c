"""Follow-up: one incident that must not be forgotten opens a problem of its own.

Restoring service fast often skips the why. Three triggers catch it: a major incident
resolved with no problem behind it, an incident closed with a workaround instead of a
fix, and an incident a responder tagged for later analysis (``dig-later``).
"""

from __future__ import annotations

from datetime import datetime

from ..model import IncidentStatus, RecordKind
from .builtin import FollowUpSettings, FollowUpTrigger
from .catalog import Catalog, stable_id
from .evaluator import Evaluator, evidence_of
from .facts import TicketFacts
from .proposals import AnyProposal, CreateProblem

_DONE = frozenset({IncidentStatus.RESOLVED.value, IncidentStatus.CLOSED.value})


class FollowUpEvaluator(Evaluator):
    settings: FollowUpSettings

    def __init__(self, name: str, settings: FollowUpSettings, catalog: Catalog) -> None:
        super().__init__(name, settings, catalog)
        self.tag = (settings.tag or "").casefold()

    def triggered(self, facts: TicketFacts) -> str | None:
        """Why this incident needs a follow-up problem, or None."""
        trigger = self.settings.trigger
        if trigger is FollowUpTrigger.MAJOR_WITHOUT_ROOT_CAUSE:
            if facts.major and facts.status in _DONE:
                return "a major incident was resolved with no problem to find its root cause"
        elif trigger is FollowUpTrigger.RESOLVED_WITH_WORKAROUND:
            if facts.status in _DONE and facts.resolution_code == "workaround":
                return "the incident was closed with a workaround, not a fix"
        elif any(tag.casefold() == self.tag for tag in facts.tags):
            return f"a responder tagged it {self.settings.tag!r} for later analysis"
        return None

    def explain(self, facts: TicketFacts, now: datetime) -> list[tuple[str, bool]]:
        why = self.triggered(facts)
        trigger = f"trigger {self.settings.trigger.value}" + (f": {why}" if why else "")
        linked = bool(self.catalog.problems_of(facts.record_id))
        return [
            *super().explain(facts, now),
            (trigger, why is not None),
            ("no problem linked yet", not linked),
        ]

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        if facts.kind is not RecordKind.INCIDENT or self.catalog.problems_of(facts.record_id):
            return []
        why = self.triggered(facts)
        if why is None or not self.applies(facts, now):
            return []
        problem_id = stable_id("follow_up", self.name, facts.record_id)
        self.catalog.propose_problem(problem_id, [facts.record_id])
        return [
            CreateProblem(
                rule=self.name,
                reason=why,
                evidence=[evidence_of(facts, why)],
                problem_id=problem_id,
                title=f"Follow-up: {facts.title}"[:1000],
                description=(
                    f"Opened by itsmhub so the follow-up is not lost: {why}.\n\n"
                    f"Incident: {facts.name} ({facts.origin or 'itsmhub'}) "
                    f"{facts.opened_at:%Y-%m-%d %H:%M} UTC: {facts.title}"
                ),
                service=facts.service,
                category=facts.category,
                create_in=self.settings.create_in,
                options=dict(self.settings.target),
                members=[facts.record_id],
            )
        ]
