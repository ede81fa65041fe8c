"""Problem candidates: recurring clusters no problem covers yet, ranked by disruption.

The list a small team reviews in its weekly half hour. Incidents are clustered the way
the recurrence rule does (similar titles within the same blocking key) over the whole
period; a cluster counts when at least ``min_size`` of its incidents have no open problem.
Disruption = Σ priority weight × distinct people affected × distinct departments (when
Okta enrichment knows them; 1 otherwise).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..model import RecordKind
from .catalog import Catalog
from .facts import TicketFacts
from .index import SimilarityIndex

#: How much one incident of each priority weighs (P1 … P5; unknown counts as P3).
PRIORITY_WEIGHT = {1: 8.0, 2: 4.0, 3: 2.0, 4: 1.0, 5: 0.5}
DEFAULT_WEIGHT = 2.0


@dataclass
class Candidate:
    """One recurring cluster: its incidents and how much disruption they caused."""

    title: str
    fingerprint: str
    block: tuple[Hashable, ...]
    incidents: list[TicketFacts] = field(default_factory=list)
    people: set[str] = field(default_factory=set)
    departments: set[str] = field(default_factory=set)
    weight: float = 0.0

    @property
    def disruption(self) -> float:
        return round(self.weight * max(len(self.people), 1) * max(len(self.departments), 1), 1)

    @property
    def first(self) -> datetime:
        return self.incidents[0].opened_at

    @property
    def last(self) -> datetime:
        return self.incidents[-1].opened_at

    @property
    def systems(self) -> list[str]:
        return sorted({f.origin for f in self.incidents if f.origin})


def find_candidates(
    incidents: Iterable[TicketFacts],
    catalog: Catalog,
    *,
    keys: list[str],
    similarity: float,
    min_size: int,
) -> list[Candidate]:
    """Clusters of at least ``min_size`` incidents not linked to an open problem, with the
    most disruptive first. ``incidents`` come oldest first; ``keys`` are blocking fields."""
    index = SimilarityIndex(similarity)
    clusters: dict[int, Candidate] = {}
    for facts in incidents:
        if facts.kind is not RecordKind.INCIDENT:
            continue
        catalog.observe(facts)
        if catalog.open_problem_of(facts.record_id) is not None:
            continue
        block = tuple(facts.rule_field(path) for path in keys)
        match = index.add(block, facts.text, facts.signature, facts.opened_at)
        candidate = clusters.get(match.cluster)
        if candidate is None:
            candidate = clusters[match.cluster] = Candidate(facts.title, facts.text, block)
        candidate.incidents.append(facts)
        candidate.weight += PRIORITY_WEIGHT.get(facts.priority or 0, DEFAULT_WEIGHT)
        if facts.reporter:
            candidate.people.add(facts.reporter)
    found = [c for c in clusters.values() if len(c.incidents) >= min_size]
    return sorted(found, key=lambda c: (-c.disruption, -len(c.incidents), c.first))


def add_departments(candidates: list[Candidate], departments: Mapping[str, str]) -> None:
    """Fill in departments from people the hub knows (person id or e-mail → department)."""
    for candidate in candidates:
        candidate.departments = {departments[p] for p in candidate.people if p in departments}
