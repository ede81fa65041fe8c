"""Known-error feedback: a known error's workaround reaches every matching incident, once;
when its problem is fixed, the incidents still open are told (and, if configured, resolved).

An incident matches a known error when it is already linked to its problem, or when its
title is similar enough to the problem's cause: its title (without the recurrence rule's
own "Recurring: "), or the title of an incident linked to it (an exemplar). Notes carry a
stable id, so each is written once per incident whatever the number of runs, retries or
tools the incident lives in.
"""

from __future__ import annotations

from datetime import datetime

from ..model import LinkKind, RecordKind
from .builtin import KnownErrorFeedbackSettings
from .catalog import Catalog, stable_id
from .evaluator import Evaluator, evidence_of
from .facts import RULE_NOTE_PREFIX, TicketFacts
from .fingerprint import fingerprint
from .index import SimilarityIndex
from .proposals import AnyProposal, ResolveIncident
from .recurrence import RECURRING_PREFIX

_NO_BLOCK = ()
#: Incident titles remembered per known error as exemplars of its cause.
EXEMPLARS = 30


def note_id(kind: str, problem_id: str, record_id: str) -> str:
    return RULE_NOTE_PREFIX + stable_id(kind, problem_id, record_id).lower()


class KnownErrorFeedbackEvaluator(Evaluator):
    settings: KnownErrorFeedbackSettings

    def __init__(self, name: str, settings: KnownErrorFeedbackSettings, catalog: Catalog) -> None:
        super().__init__(name, settings, catalog)
        self.index = SimilarityIndex(settings.similarity)
        # Similar known errors share a cluster: each keeps its place, the first valid wins.
        self.by_cluster: dict[int, list[str]] = {}
        # Notes proposed in this session: a ticket seen twice in one run gets each once.
        self.noted: set[str] = set()
        self.exemplars: dict[str, int] = {}

    def explain(self, facts: TicketFacts, now: datetime) -> list[tuple[str, bool]]:
        horizon = now - self.settings.window
        matched = self._match(facts)
        known = (
            f"similar to known error {self.catalog.problems[matched[0]].name} ({matched[1]:.2f})"
            if matched
            else "similar to a known error with a workaround"
        )
        return [
            *super().explain(facts, now),
            ("the incident is open", facts.is_open),
            (f"opened within {self.settings.window.days} days", facts.opened_at >= horizon),
            (known, matched is not None or bool(self.catalog.problems_of(facts.record_id))),
        ]

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        if facts.kind is not RecordKind.INCIDENT:
            self._learn(facts)
            return []
        for problem_id in self.catalog.problems_of(facts.record_id):
            self._exemplar(facts, problem_id)  # closed ones too: what the cause reads like
        if not facts.is_open or facts.opened_at < now - self.settings.window:
            return []
        if not self.applies(facts, now):
            return []
        proposals: list[AnyProposal] = []
        for problem_id in sorted(self.catalog.problems_of(facts.record_id)):
            proposals += self._feedback(facts, problem_id, linked=True)
        if not proposals:
            matched = self._match(facts)
            if matched is not None:
                problem_id, similarity = matched
                proposals += self._feedback(facts, problem_id, linked=False, score=similarity)
        return proposals

    def _learn(self, problem: TicketFacts) -> None:
        """Index a known error with a workaround, so incidents can be matched to it."""
        if problem.known_error and problem.workaround and not problem.fixed:
            cause = problem.title.removeprefix(RECURRING_PREFIX)
            text, signature = problem.text, problem.signature
            if cause != problem.title:  # "recurring" says nothing of the cause
                cause_print = fingerprint(cause)
                text, signature = cause_print.text, cause_print.signature
            self._index(problem.record_id, text, signature, problem.opened_at)

    def _exemplar(self, incident: TicketFacts, problem_id: str) -> None:
        """An incident linked to a known error's problem says what its cause reads like."""
        problem = self.catalog.problems.get(problem_id)
        if problem is None or not problem.known_error or problem.fixed:
            return
        if self.exemplars.get(problem_id, 0) >= EXEMPLARS:
            return
        self.exemplars[problem_id] = self.exemplars.get(problem_id, 0) + 1
        self._index(problem_id, incident.text, incident.signature, incident.opened_at)

    def _index(self, problem_id: str, text: str, signature: bytes, when: datetime) -> None:
        match = self.index.add(_NO_BLOCK, text, signature, when)
        known = self.by_cluster.setdefault(match.cluster, [])
        if problem_id not in known:
            known.append(problem_id)

    def _match(self, facts: TicketFacts) -> tuple[str, float] | None:
        found = self.index.nearest(_NO_BLOCK, facts.text, facts.signature, facts.opened_at)
        if found is None:
            return None
        cluster, similarity = found
        for problem_id in self.by_cluster.get(cluster, ()):
            known = self.catalog.problems.get(problem_id)
            if known is not None and known.known_error and known.workaround and not known.fixed:
                return known.record_id, similarity
        return None

    def _feedback(
        self, facts: TicketFacts, problem_id: str, *, linked: bool, score: float = 1.0
    ) -> list[AnyProposal]:
        problem = self.catalog.problems.get(problem_id)
        if problem is None:
            return []
        if problem.fixed:
            return self._fixed(facts, problem)
        if not (problem.known_error and problem.workaround):
            return []
        proposals: list[AnyProposal] = []
        # A known error record documents a problem: incidents are linked to the problem.
        target = (
            problem.related_ids[0]
            if problem.kind is RecordKind.KNOWN_ERROR and (problem.related_ids)
            else problem_id
        )
        why = (
            f"linked to known error {problem.name}"
            if linked
            else f"title similarity {score:.2f} ≥ {self.settings.similarity:.2f} "
            f"with known error {problem.name}"
        )
        if not linked and target not in self.catalog.problems_of(facts.record_id):
            self.catalog.link(facts.record_id, target)
            proposals.append(self.link(facts, target, problem.name, LinkKind.CAUSED_BY, why))
        note = note_id("workaround", problem_id, facts.record_id)
        if self._first(facts, note):
            body = self.settings.note.format(
                key=problem.name, title=problem.title, workaround=problem.workaround, url=""
            )
            proposals.append(self.note(facts, note, body, f"workaround of {problem.name}: {why}"))
        return proposals

    def _first(self, facts: TicketFacts, note: str) -> bool:
        """Whether the note is neither on the ticket nor proposed already in this run."""
        if note in facts.notes or note in self.noted:
            return False
        self.noted.add(note)
        return True

    def _fixed(self, facts: TicketFacts, problem: TicketFacts) -> list[AnyProposal]:
        why = f"its problem {problem.name} was resolved with a permanent fix"
        proposals: list[AnyProposal] = []
        note = note_id("fixed", problem.record_id, facts.record_id)
        if self._first(facts, note):
            body = (
                f"Problem {problem.name} ({problem.title}) has been fixed. "
                "Please check whether this incident is solved."
            )
            proposals.append(self.note(facts, note, body, why))
        resolving = f"resolve:{facts.record_id}"
        if self.settings.resolve_on_fix and resolving not in self.noted:
            self.noted.add(resolving)
            proposals.append(
                ResolveIncident(
                    rule=self.name,
                    reason=why,
                    record_id=facts.record_id,
                    problem_id=problem.record_id,
                    notes=f"Resolved by itsmhub: problem {problem.name} was fixed.",
                    evidence=[evidence_of(facts, why)],
                )
            )
        return proposals
