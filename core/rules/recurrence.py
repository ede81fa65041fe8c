"""Recurrence: N similar incidents within a window, none linked to an open problem, open a
problem with the evidence; later recurrences are linked to that problem.

Incidents are grouped by the rule's ``fingerprint``: ``title`` compares masked titles by
similarity, every other field must be equal (a blocking key). An empty fingerprint groups
every incident the ``when`` filter lets through.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from datetime import datetime, timedelta

from ..model import LinkKind, RecordKind
from .builtin import RecurrenceSettings
from .catalog import Catalog, stable_id
from .evaluator import Evaluator, evidence_of
from .facts import TicketFacts
from .index import SimilarityIndex
from .proposals import AddLink, AnyProposal, CreateProblem, Evidence


class RecurrenceEvaluator(Evaluator):
    settings: RecurrenceSettings

    def __init__(self, name: str, settings: RecurrenceSettings, catalog: Catalog) -> None:
        super().__init__(name, settings, catalog)
        self.by_title = "title" in settings.fingerprint
        self.keys = [path for path in settings.fingerprint if path != "title"]
        self.index = SimilarityIndex(settings.similarity, settings.window)
        self.exact: dict[Hashable, int] = {}
        self.members: dict[int, deque[tuple[TicketFacts, float]]] = {}
        self.covered: dict[int, str] = {}
        self.cluster_of: dict[str, int] = {}

    def block_of(self, facts: TicketFacts) -> tuple[Hashable, ...]:
        return tuple(facts.rule_field(path) for path in self.keys)

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        if facts.kind is not RecordKind.INCIDENT or facts.record_id in self.cluster_of:
            return []
        if not self.applies(facts, now):
            return []
        block = self.block_of(facts)
        if self.by_title:
            match = self.index.add(block, facts.tokens, facts.signature, facts.opened_at)
            cluster, similarity = match.cluster, match.similarity
        else:
            cluster, similarity = self.exact.setdefault(block, len(self.exact) + 1), 1.0
        self.cluster_of[facts.record_id] = cluster
        members = self.members.setdefault(cluster, deque())
        members.append((facts, similarity))
        self._expire(members, facts.opened_at)
        linked = self.catalog.open_problem_of(facts.record_id)
        if linked is not None:
            self.covered[cluster] = linked
            return []
        problem = self.covered.get(cluster)
        if problem is not None and self.catalog.is_open(problem):
            self.catalog.link(facts.record_id, problem)
            return [self._link(facts, problem, similarity)]
        pending = [(m, s) for m, s in members if self.catalog.open_problem_of(m.record_id) is None]
        if len(pending) < self.settings.threshold:
            return []
        return [self._create(cluster, block, pending)]

    def _expire(self, members: deque[tuple[TicketFacts, float]], now: datetime) -> None:
        horizon = now - self.settings.window
        while members and members[0][0].opened_at < horizon:
            old, _ = members.popleft()
            self.cluster_of.pop(old.record_id, None)

    def _link(self, facts: TicketFacts, problem: str, similarity: float) -> AddLink:
        name = self.catalog.problems[problem].name if problem in self.catalog.problems else problem
        why = f"recurs: same pattern as problem {name} ({self._match_words(similarity)})"
        return AddLink(
            rule=self.name,
            reason=why,
            record_id=facts.record_id,
            target_id=problem,
            kind=LinkKind.CAUSED_BY,
            evidence=[evidence_of(facts, why)],
        )

    def _create(
        self,
        cluster: int,
        block: tuple[Hashable, ...],
        pending: list[tuple[TicketFacts, float]],
    ) -> CreateProblem:
        first = pending[0][0]
        problem_id = stable_id("recurrence", self.name, first.record_id)
        self.covered[cluster] = problem_id
        self.catalog.propose_problem(problem_id, [m.record_id for m, _ in pending])
        keys = ", ".join(
            f"{path} = {value!r}" for path, value in zip(self.keys, block, strict=True)
        )
        span = pending[-1][0].opened_at - first.opened_at
        reason = (
            f"{len(pending)} incidents within {_days(span)} (threshold {self.settings.threshold} "
            f"in {_days(self.settings.window)})"
            + (f", same {keys}" if keys else "")
            + (f", titles like {' '.join(first.tokens)!r}" if self.by_title else "")
        )
        evidence = [evidence_of(m, self._match_words(s)) for m, s in pending]
        return CreateProblem(
            rule=self.name,
            reason=reason,
            evidence=evidence,
            problem_id=problem_id,
            title=f"Recurring: {first.title}"[:1000],
            description=_description(reason, evidence),
            service=first.service,
            category=first.category,
            create_in=self.settings.create_in,
            options=dict(self.settings.target),
            members=[m.record_id for m, _ in pending],
        )

    def _match_words(self, similarity: float) -> str:
        if not self.by_title:
            return "matches the filter"
        return f"title similarity {similarity:.2f} ≥ {self.settings.similarity:.2f}"


def _days(span: timedelta) -> str:
    if span >= timedelta(days=1):
        return f"{span.total_seconds() / 86400:.1f} days"
    return f"{span.total_seconds() / 3600:.1f} hours"


def _description(reason: str, evidence: list[Evidence]) -> str:
    lines = [
        "Opened by itsmhub because incidents recur.",
        "",
        f"Why: {reason}.",
        "",
        "Incidents:",
    ]
    for item in evidence:
        where = f" ({item.system})" if item.system else ""
        lines.append(
            f"- {item.name}{where} {item.opened_at:%Y-%m-%d %H:%M} UTC: {item.title} — {item.why}"
        )
    return "\n".join(lines)
