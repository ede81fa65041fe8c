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
from .facts import FACT_FIELDS, TicketFacts
from .index import SimilarityIndex
from .proposals import AddLink, AnyProposal, CreateProblem, Evidence

#: Distinct titles remembered per problem, to recognise its recurrences after the window.
PATTERN_TITLES = 10


class RecurrenceEvaluator(Evaluator):
    settings: RecurrenceSettings

    def __init__(self, name: str, settings: RecurrenceSettings, catalog: Catalog) -> None:
        super().__init__(name, settings, catalog)
        self.by_title = "title" in settings.fingerprint
        self.keys = [path for path in settings.fingerprint if path != "title"]
        self._attributes = [FACT_FIELDS[path] for path in self.keys]
        self.index = SimilarityIndex(settings.similarity, settings.window)
        self.exact: dict[Hashable, int] = {}
        self.members: dict[int, deque[tuple[TicketFacts, float]]] = {}
        self.expiry: deque[tuple[datetime, int]] = deque()
        self.covered: dict[int, str] = {}
        self.cluster_of: dict[str, int] = {}
        self.latest: datetime | None = None
        # Clusters under an open problem stay in the index past the window (a few of their
        # titles are pinned), so a recurrence months later joins the problem.
        self.pinned: dict[int, str] = {}
        self.remembered: dict[str, int] = {}

    def block_of(self, facts: TicketFacts) -> tuple[Hashable, ...]:
        return tuple([getattr(facts, attribute) for attribute in self._attributes])

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        if facts.kind is not RecordKind.INCIDENT or facts.record_id in self.cluster_of:
            return []
        if self.latest is not None and facts.opened_at < self.latest - self.settings.window:
            # Opened before every window still open: it was counted (or not) when it was
            # new; an edit months later (seen again by the sync cycle) is no recurrence.
            return []
        if not self.applies(facts, now):
            return []
        if self.latest is None or facts.opened_at > self.latest:
            self.latest = facts.opened_at
        self._expire(facts.opened_at)
        block = self.block_of(facts)
        if self.by_title:
            match = self.index.add(block, facts.text, facts.signature, facts.opened_at)
            cluster, similarity = match.cluster, match.similarity
        else:
            cluster, similarity = self.exact.setdefault(block, len(self.exact) + 1), 1.0
        self.cluster_of[facts.record_id] = cluster
        members = self.members.setdefault(cluster, deque())
        members.append((facts, similarity))
        self.expiry.append((facts.opened_at, cluster))
        linked = self.catalog.open_problem_of(facts.record_id)
        if linked is not None:
            self.covered[cluster] = linked
            self._remember(facts, block, linked)
            return []
        problem = (
            self.covered.get(cluster) or self.pinned.get(cluster) or self._members_problem(members)
        )
        if problem is not None and self.catalog.is_open(problem):
            self.covered[cluster] = problem
            self.catalog.link(facts.record_id, problem)
            self._remember(facts, block, problem)
            return [self._link(facts, problem, similarity)]
        if len(members) < self.settings.threshold:
            return []  # most clusters, most of the time: nothing to count yet
        pending = [(m, s) for m, s in members if self.catalog.open_problem_of(m.record_id) is None]
        if len(pending) < self.settings.threshold:
            return []
        known = self._known_pattern(facts, block)
        if known is not None:
            # It recurs again, after the window: the open problem gets its incidents.
            self.covered[cluster] = known
            for member, _ in pending:
                self.catalog.link(member.record_id, known)
                self._remember(member, block, known)
            return [self._link(member, known, score) for member, score in pending]
        return [self._create(cluster, block, pending)]

    def _known_pattern(self, facts: TicketFacts, block: tuple[Hashable, ...]) -> str | None:
        """An open problem whose pinned titles this one is similar to."""
        if not self.by_title:
            return None
        found = self.index.nearest_pinned(block, facts.text, facts.signature)
        problem = self.pinned.get(found[0]) if found else None
        return problem if problem is not None and self.catalog.is_open(problem) else None

    def _members_problem(self, members: deque[tuple[TicketFacts, float]]) -> str | None:
        """An open problem another rule gave a member since (a follow-up, say)."""
        for member, _ in members:
            problem = self.catalog.open_problem_of(member.record_id)
            if problem is not None:
                return problem
        return None

    def _remember(self, facts: TicketFacts, block: tuple[Hashable, ...], problem: str) -> None:
        """Pin a few distinct titles per problem (bounded: its wordings, not every one)."""
        cluster = self.cluster_of.get(facts.record_id)
        if cluster is None or self.remembered.get(problem, 0) >= PATTERN_TITLES:
            return
        self.pinned.setdefault(cluster, problem)
        if self.by_title and self.index.pin(block, facts.text):
            self.remembered[problem] = self.remembered.get(problem, 0) + 1

    def _expire(self, now: datetime) -> None:
        """Forget members older than the window, and clusters left with none."""
        expiry = self.expiry
        if not expiry or expiry[0][0] >= now - self.settings.window:
            return  # the common case, once per ticket
        horizon = now - self.settings.window
        while expiry and expiry[0][0] < horizon:
            _, cluster = expiry.popleft()
            members = self.members.get(cluster)
            while members and members[0][0].opened_at < horizon:
                old, _ = members.popleft()
                self.cluster_of.pop(old.record_id, None)
            if not members:
                self.members.pop(cluster, None)
                self.covered.pop(cluster, None)  # a pinned cluster keeps its problem

    def _link(self, facts: TicketFacts, problem: str, similarity: float) -> AddLink:
        name = self.catalog.problems[problem].name if problem in self.catalog.problems else problem
        why = f"recurs: same pattern as problem {name} ({self._match_words(similarity)})"
        return self.link(facts, problem, name, LinkKind.CAUSED_BY, why)

    def _create(
        self,
        cluster: int,
        block: tuple[Hashable, ...],
        pending: list[tuple[TicketFacts, float]],
    ) -> CreateProblem:
        first = pending[0][0]
        # Named by its incidents: a retry or a replay names it the same, and a pattern that
        # recurs after its first problem was closed gets a new one.
        problem_id = stable_id("recurrence", self.name, *(m.record_id for m, _ in pending))
        self.covered[cluster] = problem_id
        self.catalog.propose_problem(problem_id, [m.record_id for m, _ in pending])
        for member, _ in pending:
            self._remember(member, block, problem_id)
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
