"""Grading a recurrence detector against the corpus's true patterns (bench/rules_corpus.py).

Kept apart from the generator and from the detector: it only compares two labellings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from math import comb


@dataclass(slots=True, frozen=True)
class Score:
    """How well a detector's clusters match the true patterns (see ``score``)."""

    flagged: int  # incidents in found clusters of at least min_size
    correct: int  # flagged incidents whose cluster's majority pattern is their own
    recurring: int  # incidents in true patterns of at least min_size
    recalled: int  # recurring incidents flagged in a cluster whose majority is their pattern
    found_clusters: int
    true_patterns: int
    precision: float
    recall: float
    pair_precision: float
    pair_recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.3f} ({self.correct}/{self.flagged}), "
            f"recall {self.recall:.3f} ({self.recalled}/{self.recurring}), f1 {self.f1:.3f}; "
            f"pairwise precision {self.pair_precision:.3f}, recall {self.pair_recall:.3f}; "
            f"{self.found_clusters} clusters found for {self.true_patterns} patterns"
        )


def score(
    found: Mapping[str, Hashable | None] | Iterable[tuple[str, Hashable | None]],
    truth: Mapping[str, int | None],
    *,
    min_size: int = 3,
) -> Score:
    """Grade a detector's clusters against the true patterns.

    ``found`` maps incident id → the cluster label the detector gave it (None, or a
    missing id: not flagged); ``truth`` maps every incident id → its true pattern (None:
    noise). Found clusters with fewer than ``min_size`` members count as not flagged,
    and true patterns with fewer than ``min_size`` members count as noise.

    A found cluster's *majority* is its most common true label, noise included (ties go
    to a real pattern, then the smallest one). Then:

    - precision = correct / flagged: of the flagged incidents, the share whose cluster's
      majority is a real pattern equal to their own (flagged noise is always wrong);
    - recall = recalled / recurring: of the incidents in true patterns, the share
      flagged in a cluster whose majority is their pattern. A pattern split over several
      clusters is not penalised here; the pairwise figures see that;
    - pair precision: of the pairs of incidents sharing a found cluster, the share that
      also share a true pattern; pair recall: of the pairs sharing a true pattern, the
      share that also share a found cluster. Both come from contingency counts (sums
      of C(k, 2)), not from listing pairs.

    A ratio with nothing to count (nothing flagged, nothing to find) is 1.0.
    """
    labels = dict(found.items() if isinstance(found, Mapping) else found)
    unknown = labels.keys() - truth.keys()
    if unknown:
        raise ValueError(f"{len(unknown)} found ids are not in truth, e.g. {min(unknown)!r}")
    pattern_sizes = Counter(p for p in truth.values() if p is not None)
    real = {p for p, size in pattern_sizes.items() if size >= min_size}
    cluster_sizes = Counter(label for label in labels.values() if label is not None)
    clusters = {c for c, size in cluster_sizes.items() if size >= min_size}

    cells: Counter[tuple[Hashable, int | None]] = Counter()
    for incident, label in labels.items():
        if label in clusters:
            pattern = truth[incident]
            cells[label, pattern if pattern in real else None] += 1

    majority: dict[Hashable, tuple[int, bool, float]] = {}
    for (label, pattern), size in cells.items():
        rank = (size, pattern is not None, -pattern if pattern is not None else 0.0)
        if label not in majority or rank > majority[label]:
            majority[label] = rank
    winner = {
        label: (None if not is_real else int(-neg)) for label, (_, is_real, neg) in majority.items()
    }
    correct = sum(
        size
        for (label, pattern), size in cells.items()
        if pattern is not None and winner[label] == pattern
    )
    flagged = sum(cells.values())
    recurring = sum(pattern_sizes[p] for p in real)
    found_pairs = sum(comb(cluster_sizes[c], 2) for c in clusters)
    true_pairs = sum(comb(pattern_sizes[p], 2) for p in real)
    both = sum(comb(size, 2) for (_, pattern), size in cells.items() if pattern is not None)
    return Score(
        flagged=flagged,
        correct=correct,
        recurring=recurring,
        recalled=correct,
        found_clusters=len(clusters),
        true_patterns=len(real),
        precision=correct / flagged if flagged else 1.0,
        recall=correct / recurring if recurring else 1.0,
        pair_precision=both / found_pairs if found_pairs else 1.0,
        pair_recall=both / true_pairs if true_pairs else 1.0,
    )
