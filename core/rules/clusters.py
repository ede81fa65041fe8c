"""Where a recurrence rule puts an incident: which cluster, how similar, and which
exemplar of a problem it resembles most.

Two ways to compare, chosen by the rule's ``semantic`` setting: by meaning (embeddings,
:mod:`itsmhub.rules.semantic`) or by words alone (MinHash and Jaccard,
:mod:`itsmhub.rules.index`). Both remember a problem's exemplars (the wordings of the
incidents linked to it, by rules or by people) past the window.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from .builtin import RecurrenceSettings
from .facts import TicketFacts
from .index import SimilarityIndex
from .semantic import DUPLICATE, Entry, SemanticIndex


@dataclass(frozen=True, slots=True)
class Exemplar:
    """A problem's incident a new one resembles."""

    problem: str
    record_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Placement:
    cluster: int
    similarity: float
    exemplar: Exemplar | None
    #: Other clusters the incident is as similar to: one cause, found twice.
    also: frozenset[int] = frozenset()


class Clusters:
    """The incidents a recurrence rule remembers, clustered."""

    def __init__(self, settings: RecurrenceSettings) -> None:
        self.semantic = settings.semantic
        self.limit = settings.exemplars
        self.threshold = settings.semantic_similarity if self.semantic else settings.similarity
        self.vectors = SemanticIndex(
            settings.semantic_similarity,
            settings.gap,
            lexical=settings.similarity,
            exemplar=settings.exemplar_similarity,
        )
        self.words = SimilarityIndex(settings.similarity, settings.gap)
        self._entries: dict[str, tuple[Entry, Exemplar | None]] = {}
        self._lexical: dict[str, tuple[Hashable, str]] = {}
        self._count: dict[str, int] = {}
        self._problem_of: dict[int, str] = {}
        self._forgotten: set[tuple[str, str]] = set()

    def place(
        self,
        facts: TicketFacts,
        block: tuple[Hashable, ...],
        when: datetime,
        settled: Callable[[int], bool] | None = None,
    ) -> Placement:
        """Where an incident goes; ``settled`` tells the clusters that have their problem
        already (an incident joining one needs no exemplar to find it)."""
        if not self.semantic:
            match = self.words.add(block, facts.text, facts.signature, when)
            self._lexical[facts.record_id] = (block, facts.text)
            exemplar = None
            if match.new:
                found = self.words.nearest_pinned(block, facts.text, facts.signature)
                problem = self._problem_of.get(found[0]) if found else None
                if found and problem:
                    exemplar = Exemplar(problem, "", found[1])
            return Placement(match.cluster, match.similarity, exemplar)
        words = self.words.words_of(block, facts.text)
        entry, live, pinned = self.vectors.add(
            block, facts.text, facts.vector, when, facts.record_id, words, settled
        )
        exemplar = None
        if pinned is not None and pinned.entry.problem:
            exemplar = Exemplar(pinned.entry.problem, pinned.entry.record_id, pinned.score)
        self._entries[facts.record_id] = (entry, exemplar)
        also = live.also if live is not None else frozenset()
        return Placement(entry.cluster, live.score if live else 1.0, exemplar, also)

    @property
    def exemplar_threshold(self) -> float:
        """How similar an incident must be to an exemplar to be linked by it."""
        return self.vectors.exemplar if self.semantic else self.threshold

    def learn(self, facts: TicketFacts, cluster: int, problem: str) -> None:
        """Remember the incident's wording as an exemplar of ``problem`` (a few per problem)."""
        self._problem_of.setdefault(cluster, problem)
        if (
            self._count.get(problem, 0) >= self.limit
            or (facts.record_id, problem) in self._forgotten
        ):
            return
        if self.semantic:
            placed = self._entries.get(facts.record_id)
            if placed is None or not facts.vector:
                return
            entry, exemplar = placed
            if exemplar and exemplar.problem == problem and exemplar.score >= DUPLICATE:
                return  # that wording is one already: exemplars are distinct wordings
            if not self.vectors.pin(entry, facts.vector, problem, facts.text):
                return
        else:
            place = self._lexical.get(facts.record_id)
            if place is None or not self.words.pin(*place):
                return
        self._count[problem] = self._count.get(problem, 0) + 1

    def forget(self, record_id: str, problems: tuple[str, ...]) -> None:
        """People unlinked the incident from ``problems``: it is no exemplar of them."""
        for problem in problems:
            self._forgotten.add((record_id, problem))
        self.vectors.forget(record_id, set(problems))

    def drop(self, record_id: str) -> None:
        """The incident is past the rule's memory: it can no longer become an exemplar."""
        self._entries.pop(record_id, None)
        self._lexical.pop(record_id, None)

    def problem_of(self, cluster: int) -> str | None:
        return self._problem_of.get(cluster)

    def find(self, cluster: int) -> int:
        return self.vectors.find(cluster)

    def merge(self, source: int, target: int) -> None:
        """``source`` is ``target`` from now on (its problem, if ``target`` has none)."""
        self.vectors.merge(source, target)
        problem = self._problem_of.pop(source, None)
        if problem is not None:
            self._problem_of.setdefault(target, problem)
