"""A sliding-window index of ticket embeddings: which recent tickets *mean* the same?

Tickets are clustered as they arrive, as in :mod:`itsmhub.rules.index` (a ticket joins
the cluster of its most similar predecessor at or above the threshold, else starts one),
but on the cosine of their embeddings (``itsmhub.rules.embedding``), so "VPN keeps
dropping" finds "remote access tunnel disconnects randomly". A ticket whose masked title
is already in the index joins that entry's cluster at once: the exact signal.

Candidates come from random-hyperplane LSH: BANDS bands of BITS sign bits each, keyed by
the rule's blocking key, so two tickets at cosine 0.8 are candidates with probability
0.93 (0.98 at 0.85), two unrelated ones (cosine 0.2) with probability 0.08; candidates
are then checked exactly, in one matrix product. No rule compares all pairs.

Memory follows the horizon, not the history: two generations, each one horizon long,
dropped whole. *Pinned* entries (a problem's exemplars) stay past it, and are also found
from tickets that lack the blocking key (no service given): a problem's wordings are
worth a look from anywhere.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from .embedding import DIMENSIONS

if TYPE_CHECKING:
    from numpy.typing import NDArray

BANDS = 24
BITS = 10
#: Fixed, so that an index built today buckets as one built next year.
PLANES_SEED = 20261201
_PLANES = np.random.default_rng(PLANES_SEED).standard_normal((BANDS * BITS, DIMENSIONS))
_PLANES = _PLANES.astype(np.float32)
_WEIGHTS = (1 << np.arange(BITS)).astype(np.int64)
_OFFSETS = np.arange(BANDS, dtype=np.int64) << BITS
#: Blocks whose key holds a missing value search pinned entries of every block.
ANY_BLOCK = ("*any*",)

Key = tuple[Hashable, str]


@dataclass(slots=True)
class Entry:
    """One distinct wording: its cluster, its row in the generation's matrix."""

    block: Hashable
    row: int
    cluster: int
    last_seen: datetime
    record_id: str
    words: frozenset[str] = frozenset()
    problem: str | None = None  # set on pinned exemplars
    dead: bool = False  # an exemplar people unlinked


@dataclass(frozen=True, slots=True)
class Found:
    """The best match of a query: the entry and its cosine."""

    entry: Entry
    score: float


@dataclass(slots=True)
class _Generation:
    started: datetime | None = None
    entries: dict[Key, Entry] = field(default_factory=dict)
    rows: list[Entry] = field(default_factory=list)
    buckets: dict[Hashable, dict[int, list[int]]] = field(default_factory=dict)
    matrix: NDArray[np.int8] = field(default_factory=lambda: np.empty((64, DIMENSIONS), np.int8))

    def put(self, key: Key, vector: NDArray[np.int8], codes: list[int], entry: Entry) -> Entry:
        if len(self.rows) == len(self.matrix):
            self.matrix = np.concatenate([self.matrix, np.empty_like(self.matrix)])
        entry.row = len(self.rows)
        self.matrix[entry.row] = vector
        self.rows.append(entry)
        self.entries[key] = entry
        for block in _blocks_of(entry):
            buckets = self.buckets.setdefault(block, {})
            for code in codes:
                rows = buckets.get(code)
                if rows is None:
                    buckets[code] = [entry.row]
                else:
                    rows.append(entry.row)
        return entry


def _blocks_of(entry: Entry) -> tuple[Hashable, ...]:
    # Pinned entries are findable from anywhere: a query without a blocking key asks ANY.
    return (entry.block, ANY_BLOCK) if entry.problem is not None else (entry.block,)


def codes_of(vector: NDArray[np.int8]) -> list[int]:
    """The LSH bucket codes of a vector, one per band."""
    bits = (_PLANES @ vector.astype(np.float32)) > 0
    return (bits.reshape(BANDS, BITS) @ _WEIGHTS + _OFFSETS).tolist()


class SemanticIndex:
    """Ticket embeddings seen within ``horizon``, clustered at ``threshold`` cosine."""

    def __init__(self, threshold: float, horizon: timedelta, *, lexical: float = 1.0) -> None:
        self.threshold = threshold
        #: Word similarity (Jaccard) that also counts, for what the model reads apart: a
        #: title that names an unknown login, say. Checked on the nearest candidates only.
        self.lexical = lexical
        self._floor = min(threshold, 0.5)
        self.horizon = horizon
        self._current = _Generation()
        self._previous = _Generation()
        self._pinned = _Generation()
        self._clusters = 0
        self._rotate_at: datetime | None = None

    def __len__(self) -> int:
        return sum(len(g.entries) for g in (self._current, self._previous, self._pinned))

    def new_cluster(self) -> int:
        self._clusters += 1
        return self._clusters

    def add(
        self,
        block: Hashable,
        text: str,
        vector: bytes,
        when: datetime,
        record_id: str,
        words: frozenset[str] = frozenset(),
    ) -> tuple[Entry, Found | None, Found | None]:
        """Place a ticket (its fingerprint text and vector) seen at ``when``: its entry,
        and the best live and the best pinned match it was compared with."""
        if self._rotate_at is None or when >= self._rotate_at:
            self._rotate(when)
        key = (block, text)
        entry = self._current.entries.get(key) or self._previous.entries.get(key)
        if entry is not None and entry.last_seen >= when - self.horizon:
            entry.last_seen = max(entry.last_seen, when)
            if key not in self._current.entries:  # keep it past the next rotation
                self._current.put(key, self._row(entry), codes_of(self._row(entry)), entry)
            return entry, Found(entry, 1.0), None
        query = np.frombuffer(vector, np.int8) if vector else np.zeros(DIMENSIONS, np.int8)
        codes = codes_of(query)
        live = self._best(block, query, codes, when, (self._current, self._previous), words)
        pinned = self._best(_search_block(block), query, codes, when, (self._pinned,), words)
        cluster = live.entry.cluster if live is not None else self.new_cluster()
        fresh = Entry(block, 0, cluster, when, record_id, words)
        self._current.put(key, query, codes, fresh)
        return fresh, live, pinned

    def pin(self, entry: Entry, vector: bytes, problem: str, text: str) -> None:
        """Keep an entry's wording past the horizon, as an exemplar of ``problem``."""
        key = (entry.block, f"{problem}\x1f{text}")
        if key in self._pinned.entries:
            return
        pinned = Entry(
            entry.block, 0, entry.cluster, entry.last_seen, entry.record_id, entry.words, problem
        )
        query = np.frombuffer(vector, np.int8)
        self._pinned.put(key, query, codes_of(query), pinned)

    def forget(self, record_id: str, problems: set[str]) -> None:
        """Drop the exemplars of ``problems`` made from that incident."""
        for entry in self._pinned.rows:
            if entry.record_id == record_id and entry.problem in problems:
                entry.dead = True

    def nearest_pinned(self, block: Hashable, vector: bytes, when: datetime) -> Found | None:
        """The most similar pinned exemplar, whatever its age; None below threshold."""
        if not self._pinned.entries or not vector:
            return None
        query = np.frombuffer(vector, np.int8)
        return self._best(_search_block(block), query, codes_of(query), when, (self._pinned,))

    def _row(self, entry: Entry) -> NDArray[np.int8]:
        for generation in (self._current, self._previous):
            rows = generation.rows
            if entry.row < len(rows) and rows[entry.row] is entry:
                return generation.matrix[entry.row]
        raise LookupError("entry not in a live generation")  # pragma: no cover

    def _best(
        self,
        block: Hashable,
        query: NDArray[np.int8],
        codes: list[int],
        when: datetime,
        generations: tuple[_Generation, ...],
        words: frozenset[str] = frozenset(),
    ) -> Found | None:
        """The most similar entry at or above the threshold (by meaning, or by words for
        the nearest ones); ties go to the older cluster."""
        best: Found | None = None
        horizon = when - self.horizon
        vector = query.astype(np.float32)
        for generation in generations:
            buckets = generation.buckets.get(block)
            if not buckets:
                continue
            found = set().union(*map(buckets.get, codes, repeat((), len(codes))))
            if not found:
                continue
            rows = np.fromiter(found, np.int64, len(found))
            scores = (generation.matrix[rows].astype(np.float32) @ vector) / (127.0 * 127.0)
            order = np.flatnonzero(scores >= self._floor)
            for index in order[np.argsort(-scores[order], kind="stable")]:
                entry = generation.rows[rows[index]]
                if entry.dead or (entry.problem is None and entry.last_seen < horizon):
                    continue
                score = float(scores[index])
                if score < self.threshold:
                    score = _jaccard(words, entry.words)
                    if score < self.lexical:
                        continue
                if (
                    best is None
                    or score > best.score
                    or (score == best.score and entry.cluster < best.entry.cluster)
                ):
                    best = Found(entry, score)
                break
        return best

    def _rotate(self, when: datetime) -> None:
        started = self._current.started
        if started is None:
            self._current.started = when
        else:
            # Everything in the previous generation is now older than the horizon.
            recent = when - started < 2 * self.horizon
            self._previous = self._current if recent else _Generation()
            self._current = _Generation(started=when)
        self._rotate_at = when + self.horizon


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _search_block(block: Hashable) -> Hashable:
    """Where a query looks among pinned entries: its block, or every block if it lacks a
    key (a ticket filed without a service may belong to any problem)."""
    if isinstance(block, tuple) and any(part is None for part in block):
        return ANY_BLOCK
    return block
