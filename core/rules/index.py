"""A sliding-window similarity index: which recent tickets look like this one?

Titles are grouped into clusters as they arrive (leader clustering: a title joins the
cluster of its most similar predecessor at or above the threshold, else starts one), so a
cluster's id never changes. Candidates come from MinHash LSH buckets, keyed by the rule's
blocking key as well, and are checked with the exact Jaccard index: the work per ticket is
bounded by how many similar tickets exist, never by how many tickets exist.

Memory follows the window, not the history: entries live in two generations, each one
window long; when a third would start, the oldest is dropped whole (no per-entry
eviction work), and entries older than the window are ignored until then. Entries a
caller *pins* (the titles under an open problem, say) stay past the window: an exact
repeat finds them on every add, a similar title when asked (:meth:`nearest_pinned`).
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat

from .fingerprint import ROWS, bands_for, similarity_tokens

_WORD = re.compile(r"[a-z]+")

# buckets_of reads a band as two 64-bit words: four 32-bit MinHash rows.
assert ROWS == 4

Key = tuple[Hashable, str]


@dataclass(slots=True)
class _Entry:
    tokens: frozenset[str]
    buckets: list[int]
    cluster: int
    last_seen: datetime
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    """Where a title landed: its cluster, and how similar it is to that cluster's title."""

    cluster: int
    similarity: float
    new: bool


@dataclass(slots=True)
class _Generation:
    started: datetime | None = None
    entries: dict[Key, _Entry] = field(default_factory=dict)
    buckets: dict[int, list[Key]] = field(default_factory=dict)

    def put(self, key: Key, entry: _Entry) -> None:
        self.entries[key] = entry
        for bucket in entry.buckets:
            keys = self.buckets.get(bucket)
            if keys is None:
                self.buckets[bucket] = [key]
            else:
                keys.append(key)


def buckets_of(block: Hashable, signature: bytes, bands: int) -> list[int]:
    """The LSH bucket ids of a signature within a block: one per band.

    Bucket ids are Python hashes, so they only mean something inside this process.
    """
    salt = hash(block)
    rows = memoryview(signature).cast("Q")  # two MinHash rows per 64-bit word
    return [hash((rows[2 * band], rows[2 * band + 1], salt, band)) for band in range(bands)]


class SimilarityIndex:
    """Titles seen within ``window`` (all, if None), clustered at ``threshold`` Jaccard."""

    def __init__(self, threshold: float, window: timedelta | None = None) -> None:
        self.threshold = threshold
        self.window = window
        self.bands = bands_for(threshold)
        self._current = _Generation()
        self._previous = _Generation()
        self._pinned = _Generation()
        self._clusters = 0
        self._rotate_at: datetime | None = None
        self._implied: dict[Hashable, frozenset[str]] = {}

    def __len__(self) -> int:
        generations = (self._current, self._previous, self._pinned)
        return sum(len(generation.entries) for generation in generations)

    def pin(self, block: Hashable, text: str) -> bool:
        """Keep a title past the window; False if it is not (or no longer) in the index."""
        key = (block, text)
        entry = self._current.entries.get(key) or self._previous.entries.get(key)
        if entry is None:
            return key in self._pinned.entries
        if not entry.pinned:
            entry.pinned = True
            self._pinned.put(key, entry)
        return True

    def add(
        self,
        block: Hashable,
        text: str,
        signature: bytes,
        when: datetime,
    ) -> Match:
        """Place a title (its fingerprint text and signature) seen at ``when``."""
        if self._rotate_at is None or when >= self._rotate_at:
            self._rotate(when)
        key = (block, text)
        entry = self._live(key, when)
        if entry is not None:
            # The same fingerprint again: no similarity search needed.
            if when > entry.last_seen:
                entry.last_seen = when
            if key not in self._current.entries:
                self._current.put(key, entry)  # keep it past the next rotation
            return Match(entry.cluster, 1.0, new=False)
        words = self._words(block, text)
        buckets = buckets_of(block, signature, self.bands)
        best, score = self._best(words, buckets, when)
        if best is None:
            self._clusters += 1
            match = Match(self._clusters, 1.0, new=True)
        else:
            match = Match(best.cluster, score, new=False)
        self._current.put(key, _Entry(words, buckets, match.cluster, when))
        return match

    def nearest(
        self,
        block: Hashable,
        text: str,
        signature: bytes,
        when: datetime,
    ) -> tuple[int, float] | None:
        """The cluster most similar to a title, without adding it; None below threshold."""
        if not self:
            return None
        entry = self._live((block, text), when)
        if entry is not None:
            return entry.cluster, 1.0
        words = self._words(block, text)
        best, score = self._best(words, buckets_of(block, signature, self.bands), when)
        return (best.cluster, score) if best is not None else None

    def nearest_pinned(
        self, block: Hashable, text: str, signature: bytes
    ) -> tuple[int, float] | None:
        """The most similar *pinned* cluster, whatever its age; None below threshold.

        Pinned titles are not searched on every :meth:`add` (a year of them would cost
        every title a second search); callers ask here when it matters.
        """
        if not self._pinned.entries:
            return None
        entry = self._pinned.entries.get((block, text))
        if entry is not None:
            return entry.cluster, 1.0
        words = self._words(block, text)
        buckets = buckets_of(block, signature, self.bands)
        best, score = self._best(words, buckets, datetime.max.replace(tzinfo=UTC), (self._pinned,))
        return (best.cluster, score) if best is not None else None

    def words_of(self, block: Hashable, text: str) -> frozenset[str]:
        """The words a title is compared on within a block (see :meth:`_words`)."""
        return self._words(block, text)

    def _words(self, block: Hashable, text: str) -> frozenset[str]:
        """The words two titles of one block are compared on: the block's own words (the
        service in "VPN drops" within service vpn) say nothing there, so they go."""
        words = similarity_tokens(tuple(text.split()))
        implied = self._implied.get(block)
        if implied is None:
            implied = self._implied[block] = frozenset(_WORD.findall(str(block).casefold()))
        return (words - implied) or words

    def _live(self, key: Key, when: datetime) -> _Entry | None:
        entry = self._current.entries.get(key)
        if entry is None and self._previous.entries:
            entry = self._previous.entries.get(key)
        if entry is None and self._pinned.entries:
            entry = self._pinned.entries.get(key)
        if entry is None or self._expired(entry, when):
            return None
        return entry

    def _expired(self, entry: _Entry, when: datetime) -> bool:
        if self.window is None or entry.pinned:
            return False
        return entry.last_seen < when - self.window

    def _best(
        self,
        words: frozenset[str],
        buckets: list[int],
        when: datetime,
        generations: tuple[_Generation, ...] | None = None,
    ) -> tuple[_Entry | None, float]:
        """The most similar live entry at or above the threshold (the hot loop: inlined).

        Candidates are gathered per generation with C-level set and map calls: most
        buckets are empty, and a Python loop over them costs more than the rest.
        """
        best: _Entry | None = None
        best_score = 0.0
        threshold = self.threshold
        horizon = when - self.window if self.window is not None else None
        size = len(words)
        if generations is None:
            generations = (self._current, self._previous)
        seen: set[Key] = set()
        for generation in generations:
            if not generation.entries:
                continue
            found = set().union(*map(generation.buckets.get, buckets, repeat((), len(buckets))))
            found -= seen
            if not found:
                continue
            seen |= found
            entries = generation.entries
            # Any order decides the same: the best score wins, ties go to the older cluster.
            for key in found:
                candidate = entries[key]
                expired = horizon is not None and candidate.last_seen < horizon
                if expired and not candidate.pinned:
                    continue
                tokens = candidate.tokens
                other = len(tokens)
                # Jaccard is at most the ratio of the sizes: skip the set work below it.
                if min(size, other) < threshold * max(size, other):
                    continue
                common = len(words & tokens)
                score = common / (size + other - common) if size or other else 1.0
                if score < threshold or score < best_score:
                    continue
                # Ties go to the older cluster, so replays decide the same way.
                if best is None or score > best_score or candidate.cluster < best.cluster:
                    best, best_score = candidate, score
        return best, best_score

    def _rotate(self, when: datetime) -> None:
        # One comparison per title: this runs for every ticket of a replay.
        if self._rotate_at is not None and when < self._rotate_at:
            return
        if self.window is None:
            return
        started = self._current.started
        if started is None:
            self._current.started = when
        else:
            # Everything in the previous generation is now older than the window.
            self._previous = self._current if when - started < 2 * self.window else _Generation()
            self._current = _Generation(started=when)
        self._rotate_at = when + self.window
