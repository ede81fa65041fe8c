"""A sliding-window similarity index: which recent tickets look like this one?

Titles are grouped into clusters as they arrive (leader clustering: a title joins the
cluster of its most similar predecessor at or above the threshold, else starts one), so a
cluster's id never changes. Candidates come from MinHash LSH buckets, keyed by the rule's
blocking key as well, and are checked with the exact Jaccard index: the work per ticket is
bounded by how many similar tickets exist, never by how many tickets exist. Entries older
than the window are evicted, so memory follows the window, not the history.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .fingerprint import band_keys, jaccard, similarity_tokens


@dataclass(slots=True)
class _Entry:
    tokens: frozenset[str]
    buckets: list[int]
    cluster: int
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Match:
    """Where a title landed: its cluster, and how similar it is to that cluster's title."""

    cluster: int
    similarity: float
    new: bool


@dataclass
class SimilarityIndex:
    """Titles seen within ``window``, clustered at ``threshold`` Jaccard similarity."""

    threshold: float
    window: timedelta | None = None
    _entries: dict[tuple[Hashable, str], _Entry] = field(default_factory=dict)
    _buckets: dict[int, list[tuple[Hashable, str]]] = field(default_factory=dict)
    _expiry: deque[tuple[datetime, tuple[Hashable, str]]] = field(default_factory=deque)
    _clusters: int = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(
        self, block: Hashable, tokens: tuple[str, ...], signature: bytes, when: datetime
    ) -> Match:
        """Place a title (its fingerprint tokens and signature) seen at ``when``."""
        self.evict(when)
        key = (block, " ".join(tokens))
        entry = self._entries.get(key)
        if entry is not None:
            # The same fingerprint again: no similarity search needed.
            if when > entry.last_seen:
                entry.last_seen = when
                self._expiry.append((when, key))
            return Match(entry.cluster, 1.0, new=False)
        words = similarity_tokens(tokens)
        buckets = [hash((block, band)) for band in band_keys(signature)]
        best, best_score = self._best(words, buckets)
        if best is None:
            self._clusters += 1
            cluster, score, new = self._clusters, 1.0, True
        else:
            cluster, score, new = best.cluster, best_score, False
        self._entries[key] = _Entry(words, buckets, cluster, when)
        for bucket in buckets:
            self._buckets.setdefault(bucket, []).append(key)
        self._expiry.append((when, key))
        return Match(cluster, score, new)

    def nearest(
        self, block: Hashable, tokens: tuple[str, ...], signature: bytes
    ) -> tuple[int, float] | None:
        """The cluster most similar to a title, without adding it; None below threshold."""
        entry = self._entries.get((block, " ".join(tokens)))
        if entry is not None:
            return entry.cluster, 1.0
        buckets = [hash((block, band)) for band in band_keys(signature)]
        best, score = self._best(similarity_tokens(tokens), buckets)
        return (best.cluster, score) if best is not None else None

    def _best(self, words: frozenset[str], buckets: list[int]) -> tuple[_Entry | None, float]:
        best: _Entry | None = None
        best_score = 0.0
        seen: set[tuple[Hashable, str]] = set()
        for bucket in buckets:
            for key in self._buckets.get(bucket, ()):
                if key in seen:
                    continue
                seen.add(key)
                candidate = self._entries[key]
                score = jaccard(words, candidate.tokens)
                # Ties go to the older cluster, so replays decide the same way.
                if score >= self.threshold and (
                    score > best_score
                    or (
                        score == best_score
                        and best is not None
                        and candidate.cluster < best.cluster
                    )
                ):
                    best, best_score = candidate, score
        return best, best_score

    def evict(self, now: datetime) -> None:
        """Forget titles not seen within the window before ``now``."""
        if self.window is None:
            return
        horizon = now - self.window
        while self._expiry and self._expiry[0][0] < horizon:
            seen_at, key = self._expiry.popleft()
            entry = self._entries.get(key)
            if entry is None or entry.last_seen != seen_at:
                continue  # seen again later: a later expiry entry covers it
            del self._entries[key]
            for bucket in entry.buckets:
                keys = self._buckets[bucket]
                keys.remove(key)
                if not keys:
                    del self._buckets[bucket]
