"""Recurrence: incidents of one cause, none linked to an open problem, open a problem with
the evidence; later recurrences are linked to that problem.

Two horizons: a *burst* (``threshold`` in ``window``: the fourth VPN drop this week) and a
*steady* recurrence (``steady_threshold`` within ``steady_window``, in at least
``steady_weeks`` different weeks: the payment run that fails every other Monday).

Incidents are grouped by the rule's ``fingerprint``: ``title`` compares what tickets say
(their meaning, or their words with ``semantic = false``; see
:mod:`itsmhub.rules.clusters`), every other field must be equal (a blocking key). An empty
fingerprint groups every incident the ``when`` filter lets through. What people do is
evidence too: the incidents linked to a problem, in any tool, are exemplars a new
incident is compared with, and a link people removed is never proposed again.

By meaning, clusters are joined when an incident is as close to both (one cause found
twice), unless each has its own problem; and a cluster opens a problem only if its
incidents are alike on average (``COHESION``), not merely each like the one before.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import datetime, timedelta
from functools import partial

import numpy as np

from ..model import LinkKind, RecordKind
from .builtin import RecurrenceSettings
from .catalog import Catalog, stable_id
from .clusters import Clusters, Exemplar, Placement
from .evaluator import Evaluator, evidence_of
from .facts import FACT_FIELDS, TicketFacts
from .fingerprint import similarity_tokens
from .proposals import AddLink, AnyProposal, CreateProblem, Evidence
from .requests import Requests

Members = deque[tuple[TicketFacts, float]]
#: How alike, on average (cosine), the incidents that open a problem must be pairwise (or
#: the rule's ``semantic_similarity``, if lower).
COHESION = 0.8
_COHESION_SAMPLE = 30
_WEEK = 7 * 86400


class RecurrenceEvaluator(Evaluator):
    settings: RecurrenceSettings

    def __init__(self, name: str, settings: RecurrenceSettings, catalog: Catalog) -> None:
        super().__init__(name, settings, catalog)
        self.by_title = "title" in settings.fingerprint
        self.keys = [path for path in settings.fingerprint if path != "title"]
        self._attributes = [FACT_FIELDS[path] for path in self.keys]
        self.clusters = Clusters(settings)
        self.requests = (
            None
            if settings.count_requests
            else Requests(settings.request_words, settings.symptom_words)
        )
        self.exact: dict[Hashable, int] = {}
        self.members: dict[int, Members] = {}
        self.expiry: deque[tuple[datetime, int]] = deque()
        self.covered: dict[int, str] = {}
        self.cluster_of: dict[str, int] = {}
        self.latest: datetime | None = None
        #: The last placement of each incident, for ``rules explain``.
        self.placed: dict[str, Placement] = {}

    def block_of(self, facts: TicketFacts) -> tuple[Hashable, ...]:
        return tuple([getattr(facts, attribute) for attribute in self._attributes])

    def learned(self, facts: TicketFacts) -> list[tuple[str, bool]]:
        """After a replay that saw the ticket: which problem exemplar it resembled most
        (and how much), and the problems people unlinked it from."""
        checks: list[tuple[str, bool]] = []
        placement = self.placed.get(facts.record_id)
        exemplar = placement.exemplar if placement else None
        if exemplar is not None:
            checks.append((self._exemplar_words(exemplar), True))
        elif self.by_title:
            checks.append(("similar to an exemplar of an open problem", False))
        if self.requests is not None and facts.kind is RecordKind.INCIDENT:
            request = self.requests.is_request(facts.title)
            checks.append(("reports a failure, not a request (asks for nothing)", not request))
        for problem in facts.rejected_ids:
            checks.append((f"people unlinked it from {self._name(problem)}: never again", True))
        return checks

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        if facts.kind is not RecordKind.INCIDENT:
            return []
        if facts.record_id in self.cluster_of:
            if facts.rejected_ids:  # seen again because people unlinked it
                self.clusters.forget(facts.record_id, facts.rejected_ids)
            return []
        memory = self.settings.memory
        if self.latest is not None and facts.opened_at < self.latest - memory:
            # Opened before every window still open: it was counted (or not) when it was
            # new; an edit months later (seen again by the sync cycle) is no recurrence.
            return []
        if not self.applies(facts, now) or self._is_request(facts):
            return []
        if self.latest is None or facts.opened_at > self.latest:
            self.latest = facts.opened_at
        self._expire(facts.opened_at)
        block = self.block_of(facts)
        if self.by_title:
            placement = self.clusters.place(facts, block, facts.opened_at, self._settled)
        else:
            placement = Placement(self.exact.setdefault(block, len(self.exact) + 1), 1.0, None)
        self.placed[facts.record_id] = placement
        cluster = placement.cluster
        merged: list[AnyProposal] = []
        if placement.also:
            cluster, merged = self._merge(cluster, placement.also)
        self.cluster_of[facts.record_id] = cluster
        members = self.members.setdefault(cluster, deque())
        members.append((facts, placement.similarity))
        self.expiry.append((facts.opened_at, cluster))
        linked = self.catalog.open_problem_of(facts.record_id)
        if linked is not None:
            # Linked already, by people or another rule: its wording is the problem's.
            self.covered.setdefault(cluster, linked)
            self.clusters.learn(facts, cluster, linked)
            return merged
        problem, why = self._problem_for(facts, cluster, placement, members)
        if problem is not None:
            if self.covered.get(cluster) is None and self._may_join(members):
                # The cluster's first incident under a problem: the others it remembers
                # are that cause too.
                for member, _ in members:
                    if member is not facts:
                        merged += self._join(member, cluster, problem, why)
                self.covered[cluster] = problem
            self.catalog.link(facts.record_id, problem)
            self.clusters.learn(facts, cluster, problem)
            return [*merged, self._link(facts, problem, why)]
        return merged + self._count(cluster, block, members, facts.opened_at)

    def _is_request(self, facts: TicketFacts) -> bool:
        """Whether the incident is a request filed as one ("Install Zoom on my laptop"):
        no fault, so it neither counts nor joins a cause (unless people linked it)."""
        if self.requests is None or not self.requests.is_request(facts.title):
            return False
        return self.catalog.open_problem_of(facts.record_id) is None

    def _settled(self, cluster: int) -> bool:
        problem = self.covered.get(cluster)
        return problem is not None and self.catalog.is_open(problem)

    def _merge(self, cluster: int, others: frozenset[int]) -> tuple[int, list[AnyProposal]]:
        """The incident is as similar to incidents of other clusters as to its own: they
        are one cause found twice, and become one cluster (single linkage), unless each
        already has its own problem. The incidents of the one that had no problem join
        the other's. Returns the incident's cluster now, and those links."""
        target = min(cluster, *others)
        proposals: list[AnyProposal] = []
        for source in sorted({cluster, *others} - {target}):
            theirs, ours = self.covered.get(source), self.covered.get(target)
            if theirs and ours and theirs != ours:
                continue  # two problems: people (or rules) told them apart
            joining = self.members.get(source, deque())
            kept = self.members.get(target, deque())
            alone = kept if ours is None else joining if theirs is None else None
            if theirs != ours and alone is not None and not self._may_join(alone):
                continue  # a chain the rule found no cause in does not join a problem
            self.members.pop(source, None)
            problem = theirs or ours
            if problem is not None:
                self.covered.pop(source, None)
                self.covered[target] = problem
                why = f"found alike incidents under {self._name(problem)}"
                for member, _ in kept if ours is None else joining:
                    proposals += self._join(member, target, problem, why)
            for member, _ in joining:
                self.cluster_of[member.record_id] = target
            self.members[target] = deque(heapq.merge(kept, joining, key=_opened))
            self.clusters.merge(source, target)
        return self.clusters.find(cluster), proposals

    def _join(self, member: TicketFacts, cluster: int, problem: str, why: str) -> list[AddLink]:
        """Link a remembered incident not under an open problem yet, unless people
        unlinked it from that one."""
        if problem in member.rejected_ids or self.catalog.open_problem_of(member.record_id):
            return []
        if not self.catalog.is_open(problem):
            return []
        self.catalog.link(member.record_id, problem)
        self.clusters.learn(member, cluster, problem)
        return [self._link(member, problem, f"recurs: same cause ({why})")]

    def _problem_for(
        self, facts: TicketFacts, cluster: int, placement: Placement, members: Members
    ) -> tuple[str | None, str]:
        """The open problem this incident recurs under, and why; never one people unlinked
        it from."""
        for problem, why in self._candidates(cluster, placement, members):
            if problem and problem not in facts.rejected_ids and self.catalog.is_open(problem):
                return problem, why()
        return None, ""

    def _candidates(
        self, cluster: int, placement: Placement, members: Members
    ) -> Iterator[tuple[str | None, Callable[[], str]]]:
        """The problems an incident may recur under, most telling first, each with how
        to say why (worded only for the one chosen: most incidents have none)."""
        exemplar = placement.exemplar
        similar = partial(self._match_words, placement.similarity)
        yield self.covered.get(cluster), similar
        if exemplar is not None:
            yield exemplar.problem, partial(self._exemplar_words, exemplar)
        yield self.clusters.problem_of(cluster), similar
        yield self._members_problem(members), similar

    def _count(
        self, cluster: int, block: tuple[Hashable, ...], members: Members, now: datetime
    ) -> list[AnyProposal]:
        """A problem for the cluster, if it bursts or recurs steadily."""
        settings = self.settings
        if len(members) < min(settings.threshold, settings.steady_threshold):
            return []  # most clusters, most of the time: nothing to count yet
        pending = [(m, s) for m, s in members if self.catalog.open_problem_of(m.record_id) is None]
        burst = [(m, s) for m, s in pending if m.opened_at >= now - settings.window]
        if len(burst) >= settings.threshold and self._alike(burst):
            return [self._create(cluster, block, burst, steady=False)]
        if not settings.steady or len(pending) < settings.steady_threshold:
            return []
        weeks = {int(m.opened_at.timestamp() // _WEEK) for m, _ in pending}
        if len(weeks) < settings.steady_weeks or not self._alike(pending):
            return []
        return [self._create(cluster, block, pending, steady=True)]

    def _may_join(self, members: Members) -> bool:
        """Whether a cluster without a problem may join one: too few incidents to open
        one, or alike enough to."""
        settings = self.settings
        return len(members) < min(settings.threshold, settings.steady_threshold) or self._alike(
            list(members)
        )

    def _alike(self, found: list[tuple[TicketFacts, float]]) -> bool:
        """Whether incidents that would open a problem are alike among themselves, not
        only each like the one before: a chain of requests about one thing ("copy the
        room speakerphone", "question about the speakerphone", …) is no cause."""
        if not (self.by_title and self.settings.semantic):
            return True
        return _pairwise(found) >= min(COHESION, self.settings.semantic_similarity)

    def _members_problem(self, members: Members) -> str | None:
        """An open problem another rule gave a member since (a follow-up, say)."""
        for member, _ in members:
            problem = self.catalog.open_problem_of(member.record_id)
            if problem is not None:
                return problem
        return None

    def _expire(self, now: datetime) -> None:
        """Forget members older than the longest horizon, and clusters left with none."""
        expiry = self.expiry
        horizon = now - self.settings.memory
        if not expiry or expiry[0][0] >= horizon:
            return  # the common case, once per ticket
        while expiry and expiry[0][0] < horizon:
            _, cluster = expiry.popleft()
            cluster = self.clusters.find(cluster)
            members = self.members.get(cluster)
            while members and members[0][0].opened_at < horizon:
                old, _ = members.popleft()
                self.cluster_of.pop(old.record_id, None)
                self.placed.pop(old.record_id, None)
                self.clusters.drop(old.record_id)
            if not members:
                self.members.pop(cluster, None)
                self.covered.pop(cluster, None)  # its exemplars keep its problem

    def _name(self, problem: str) -> str:
        known = self.catalog.problems.get(problem)
        return known.name if known is not None else problem

    def _link(self, facts: TicketFacts, problem: str, why: str) -> AddLink:
        name = self._name(problem)
        return self.link(
            facts, problem, name, LinkKind.CAUSED_BY, f"recurs: same cause as {name} ({why})"
        )

    def _create(
        self,
        cluster: int,
        block: tuple[Hashable, ...],
        pending: list[tuple[TicketFacts, float]],
        *,
        steady: bool,
    ) -> CreateProblem:
        first = pending[0][0]
        # Named by its incidents: a retry or a replay names it the same, and a pattern that
        # recurs after its first problem was closed gets a new one.
        problem_id = stable_id("recurrence", self.name, *(m.record_id for m, _ in pending))
        self.covered[cluster] = problem_id
        self.catalog.propose_problem(problem_id, [m.record_id for m, _ in pending])
        for member, _ in pending:
            self.clusters.learn(member, cluster, problem_id)
        reason = self._reason(block, pending, steady=steady)
        evidence = [evidence_of(m, self._match_words(s)) for m, s in pending]
        return CreateProblem(
            rule=self.name,
            reason=reason,
            evidence=evidence,
            problem_id=problem_id,
            title=f"{RECURRING_PREFIX}{first.title}"[:1000],
            description=_description(reason, evidence),
            service=first.service,
            category=first.category,
            create_in=self.settings.create_in,
            options=dict(self.settings.target),
            members=[m.record_id for m, _ in pending],
        )

    def _reason(
        self, block: tuple[Hashable, ...], pending: list[tuple[TicketFacts, float]], *, steady: bool
    ) -> str:
        s = self.settings
        span = pending[-1][0].opened_at - pending[0][0].opened_at
        if steady:
            weeks = len({int(m.opened_at.timestamp() // _WEEK) for m, _ in pending})
            counted = (
                f"{len(pending)} incidents in {weeks} different weeks over {_days(span)} "
                f"(steady: {s.steady_threshold} in {_days(s.steady_window)}, "
                f"{s.steady_weeks} weeks at least)"
            )
        else:
            counted = (
                f"{len(pending)} incidents within {_days(span)} "
                f"(threshold {s.threshold} in {_days(s.window)})"
            )
        keys = ", ".join(
            f"{path} = {value!r}" for path, value in zip(self.keys, block, strict=True)
        )
        first = pending[0][0]
        return (
            counted
            + (f", same {keys}" if keys else "")
            + (f", titles like {' '.join(first.tokens)!r}" if self.by_title else "")
        )

    def _match_words(self, similarity: float) -> str:
        if not self.by_title:
            return "matches the filter"
        if self.settings.semantic:
            return f"meaning similarity {similarity:.2f} ≥ {self.settings.semantic_similarity:.2f}"
        return f"title similarity {similarity:.2f} ≥ {self.settings.similarity:.2f}"

    def _exemplar_words(self, exemplar: Exemplar | None) -> str:
        if exemplar is None:
            return ""
        like = f" like {exemplar.record_id}" if exemplar.record_id else ""
        return (
            f"similar{like}, an exemplar of problem {self._name(exemplar.problem)} "
            f"({exemplar.score:.2f} ≥ {self.clusters.exemplar_threshold:.2f})"
        )


#: What a problem a recurrence rule opens is titled: this, then its first incident's title.
RECURRING_PREFIX = "Recurring: "


def _pairwise(members: Iterable[tuple[TicketFacts, float]]) -> float:
    """How alike the last few incidents are, pair by pair: the cosine of their meanings,
    or the overlap of their words where that is higher. One tool files the service apart
    (a Jira component), another names it in the title, and their meanings then differ by
    that word while their titles say the same thing: the rule's "or words" holds here too.
    """
    recent = [m for m, _ in members if m.vector][-_COHESION_SAMPLE:]
    if len(recent) < 2:
        return 1.0
    rows = np.frombuffer(b"".join(m.vector for m in recent), np.int8).reshape(len(recent), -1)
    unit = rows.astype(np.float32) * (1.0 / 127.0)
    cosines = unit @ unit.T
    words = [similarity_tokens(m.tokens) for m in recent]
    total, pairs = 0.0, 0
    for i in range(len(recent)):
        for j in range(i + 1, len(recent)):
            overlap = len(words[i] & words[j]) / (len(words[i] | words[j]) or 1)
            total += max(float(cosines[i, j]), overlap)
            pairs += 1
    return total / pairs


def _opened(member: tuple[TicketFacts, float]) -> datetime:
    return member[0].opened_at


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
