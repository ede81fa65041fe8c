"""A sliding-window index of ticket embeddings: which recent tickets *mean* the same?

Tickets are clustered as they arrive, as in :mod:`itsmhub.rules.index` (a ticket joins
the cluster of its most similar predecessor at or above the threshold, else starts one),
but on the cosine of their embeddings (``itsmhub.rules.embedding``), so "VPN keeps
dropping" finds "remote access tunnel disconnects randomly". A ticket whose masked title
is already in the index joins that entry's cluster at once: the exact signal. A ticket as
similar to rows of other clusters is reported with them (``Found.also``), so the caller
may merge them (:meth:`SemanticIndex.merge`, a union-find over cluster ids).

Candidates come from a scan of short binary codes within the rule's blocking key: each
row keeps a SimHash of its embedding (CODE_BITS sign bits of random projections). Two
embeddings at cosine c differ in a share arccos(c)/π of their bits, so a bound on the
Hamming distance keeps a pair at the threshold with probability 0.995 and lets few
unrelated ones through; the survivors are checked exactly in one matrix product. The scan
is an XOR and a popcount over the block's recent rows: its cost follows the block's
window, a few kilobytes, not buckets that fill as the history gets denser.

Memory follows the horizon, not the history: each block keeps its rows in arrival order
and drops the ones older than the horizon from the front. *Pinned* rows (a problem's
exemplars) stay past it, and are also found from tickets that lack the blocking key (no
service given): a problem's wordings are worth a look from anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from .embedding import DIMENSIONS

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Bits of a ticket's code: the signs of as many random projections of its embedding.
CODE_BITS = 128
_WORDS = 2
#: How surely a pair exactly at the threshold survives the Hamming bound (more similar
#: pairs more surely): z of the normal approximation, one-sided (0.995).
_Z = 2.576
#: The first word of the code is checked alone first, with a looser bound (0.999).
_Z_FIRST = 3.09
#: Fixed, so that codes made today compare with codes made next year.
PLANES_SEED = 20261201
_PLANES = np.random.default_rng(PLANES_SEED).standard_normal((CODE_BITS, DIMENSIONS))
_PLANES = _PLANES.astype(np.float32)
#: An incident this close to an exemplar of its problem is no new exemplar of it: the
#: few a problem keeps are distinct wordings.
DUPLICATE = 0.95
#: How near in meaning two tickets must be for their words to be compared, and how many
#: of the nearest are.
NEAR = 0.75
_WORD_CHECKS = 3
#: The more recent tickets a block holds, the nearer the nearest one of another cause is
#: by chance alone (a million incidents a year put 3,000 in a busy service's 30 days, and
#: every ticket is compared with all of them). Past DENSE_ROWS rows, the threshold rises
#: by DENSE_STEP per tenfold (at most one step): "Label printer shows no picture" then no
#: longer joins "Label printer displays error 412", as it need not among 100.
DENSE_ROWS = 300
DENSE_STEP = 0.16
#: Blocks whose key holds a missing value search pinned entries of every block.
ANY_BLOCK = ("*any*",)

Key = tuple[Hashable, str]


@dataclass(slots=True)
class Entry:
    """One wording: its block, its cluster, when it was seen, by which ticket."""

    block: Hashable
    cluster: int
    last_seen: datetime
    record_id: str
    words: frozenset[str] = frozenset()
    problem: str | None = None  # set on pinned exemplars


@dataclass(frozen=True, slots=True)
class Found:
    """The best match of a query: the entry and its cosine (or word similarity)."""

    entry: Entry
    score: float
    #: The clusters of the other entries at or above the threshold (live matches only).
    also: frozenset[int] = frozenset()


@dataclass(slots=True)
class _Query:
    vector: NDArray[np.float32]
    codes: NDArray[np.uint64]
    when: datetime
    words: frozenset[str] = frozenset()
    #: The stored form: the unit vector × 127 in signed bytes, as the facts hold it.
    raw: NDArray[np.int8] | None = None


def _empty(shape: tuple[int, ...], dtype: type) -> NDArray[Any]:
    return np.zeros(shape, dtype)


@dataclass(slots=True)
class _Rows:
    """A block's rows in arrival order; rows before ``start`` are past the horizon.

    Codes are kept word-major (one contiguous array per 64 bits), so the first word of
    every row is scanned at memory speed and the others only for the rows it lets by."""

    codes: NDArray[np.uint64] = field(default_factory=lambda: _empty((_WORDS, 16), np.uint64))
    vectors: NDArray[np.int8] = field(default_factory=lambda: _empty((16, DIMENSIONS), np.int8))
    times: NDArray[np.float64] = field(default_factory=lambda: _empty((16,), np.float64))
    clusters: NDArray[np.int64] = field(default_factory=lambda: _empty((16,), np.int64))
    alive: NDArray[np.bool_] = field(default_factory=lambda: _empty((16,), np.bool_))
    entries: list[Entry] = field(default_factory=list)
    start: int = 0

    def put(self, entry: Entry, query: _Query) -> None:
        at = len(self.entries)
        if at == len(self.times):
            self._grow()
            at = len(self.entries)
        self.codes[:, at] = query.codes
        self.vectors[at] = query.raw if query.raw is not None else np.rint(query.vector * 127.0)
        self.times[at] = entry.last_seen.timestamp()
        self.clusters[at] = entry.cluster
        self.alive[at] = True
        self.entries.append(entry)

    def kill(self, entry: Entry) -> None:
        for at, other in enumerate(self.entries):
            if other is entry:
                self.alive[at] = False

    def expire(self, before: float) -> None:
        """Move ``start`` past the rows seen before ``before`` (arrival order is about
        time order; a late straggler is dropped with its neighbours)."""
        size = len(self.entries)
        if self.start < size and self.times[self.start] < before:
            self.start += int(np.searchsorted(self.times[self.start : size], before))

    def _grow(self) -> None:
        size, start = len(self.entries), self.start
        live = size - start
        # Half of it expired: cut the front instead of growing.
        capacity = len(self.times) * (1 if start >= live else 2)
        self.codes = _moved(self.codes[:, start:size], (_WORDS, capacity), axis=1)
        self.vectors = _moved(self.vectors[start:size], (capacity, DIMENSIONS))
        self.times = _moved(self.times[start:size], (capacity,))
        self.clusters = _moved(self.clusters[start:size], (capacity,))
        self.alive = _moved(self.alive[start:size], (capacity,))
        self.entries = self.entries[start:]
        self.start = 0


def _moved(rows: NDArray[Any], shape: tuple[int, ...], axis: int = 0) -> NDArray[Any]:
    grown = np.zeros(shape, rows.dtype)
    if axis == 0:
        grown[: rows.shape[0]] = rows
    else:
        grown[:, : rows.shape[1]] = rows
    return grown


def codes_of(vector: NDArray[np.float32]) -> NDArray[np.uint64]:
    """A vector's code: the signs of its projections on CODE_BITS fixed random planes."""
    return np.packbits(_PLANES @ vector > 0).view(np.uint64)


def hamming_bound(similarity: float, bits: int, z: float = _Z) -> int:
    """The most bits two codes may differ in when their vectors are ``similarity`` apart
    in cosine, but for a few such pairs (z: the normal approximation's quantile)."""
    share = math.acos(max(-1.0, min(1.0, similarity))) / math.pi
    spread = math.sqrt(bits * share * (1 - share))
    return math.ceil(bits * share + z * spread)


class SemanticIndex:
    """Ticket embeddings seen within ``horizon``, clustered at ``threshold`` cosine."""

    def __init__(
        self,
        threshold: float,
        horizon: timedelta,
        *,
        lexical: float = 1.0,
        exemplar: float | None = None,
        crowded: tuple[int, float] | None = (DENSE_ROWS, DENSE_STEP),
    ) -> None:
        self.threshold = threshold
        #: The cosine an exemplar (a pinned row) must reach: at least ``threshold``.
        self.exemplar = max(threshold, exemplar or threshold)
        #: (rows, step) of the threshold's rise in a crowded block; None: no rise.
        self.crowded = crowded
        #: Word similarity (Jaccard) that also counts between tickets whose meanings are
        #: near (cosine ≥ NEAR), for what the model reads apart: a title naming a login
        #: the hub does not know, say.
        self.lexical = lexical
        self.horizon = horizon
        self._bound = hamming_bound(threshold, CODE_BITS)
        self._first = hamming_bound(threshold, 64, _Z_FIRST)
        self._live: dict[Hashable, _Rows] = {}
        self._keys: dict[Key, Entry] = {}
        self._pinned: dict[Hashable, _Rows] = {}
        self._pinned_keys: set[Key] = set()
        self._clusters = 0
        self._keys_limit = 4096
        #: The last ticket placed and its query, which pinning it reuses.
        self._last: tuple[str, _Query | None] = ("", None)
        #: Clusters merged into others (union-find): a row keeps the id it was put with.
        self._parent: dict[int, int] = {}

    def __len__(self) -> int:
        live = sum(len(rows.entries) - rows.start for rows in self._live.values())
        return live + len(self._pinned_keys)

    def new_cluster(self) -> int:
        self._clusters += 1
        return self._clusters

    def find(self, cluster: int) -> int:
        """The cluster a cluster id now belongs to (itself, unless merged)."""
        parent = self._parent
        root = cluster
        while root in parent:
            root = parent[root]
        while cluster != root:  # shorten the path for next time
            parent[cluster], cluster = root, parent[cluster]
        return root

    def merge(self, source: int, target: int) -> None:
        """From now on, ``source``'s rows belong to ``target``."""
        source, target = self.find(source), self.find(target)
        if source != target:
            self._parent[source] = target

    def add(
        self,
        block: Hashable,
        text: str,
        vector: bytes,
        when: datetime,
        record_id: str,
        words: frozenset[str] = frozenset(),
        settled: Callable[[int], bool] | None = None,
    ) -> tuple[Entry, Found | None, Found | None]:
        """Place a ticket (its fingerprint text and vector) seen at ``when``: its entry,
        and the best live and the best pinned match it was compared with. Exemplars are
        not searched when the ticket joins a cluster ``settled`` says has its problem."""
        key = (block, text)
        rows = self._live.get(block)
        if rows is None:
            rows = self._live[block] = _Rows()
        rows.expire((when - self.horizon).timestamp())
        query = _query(vector, when, words)
        self._last = (record_id, query)
        known = self._keys.get(key)
        if known is not None and known.last_seen >= when - self.horizon:
            # The same title again: its cluster. Its row still counts: the description
            # may say the same in other words, which later tickets may use.
            entry = Entry(block, self.find(known.cluster), when, record_id, words)
            rows.put(entry, query)
            self._keys[key] = entry
            return entry, Found(known, 1.0), None
        live = self._best(rows, query, live=True)
        cluster = self.find(live.entry.cluster) if live is not None else self.new_cluster()
        pinned = None
        if live is None or settled is None or not settled(cluster):
            pinned = self._best(self._pinned.get(_search_block(block)), query, live=False)
        entry = Entry(block, cluster, when, record_id, words)
        rows.put(entry, query)
        self._keys[key] = entry
        if len(self._keys) > self._keys_limit:  # wordings past the horizon: found by none
            self._prune_keys(when)
            self._keys_limit = max(4096, 2 * len(self._keys))
        return entry, live, pinned

    def pin(self, entry: Entry, vector: bytes, problem: str, text: str) -> bool:
        """Keep an entry's wording past the horizon, as an exemplar of ``problem``; False
        if that title is one already."""
        key = (entry.block, f"{problem}\x1f{text}")
        if key in self._pinned_keys:
            return False
        self._pinned_keys.add(key)
        pinned = Entry(
            entry.block, entry.cluster, entry.last_seen, entry.record_id, entry.words, problem
        )
        last_id, last = self._last
        if last_id == entry.record_id and last is not None:
            # Pinned as it was placed (the usual case): its codes are made already.
            query = _Query(last.vector, last.codes, entry.last_seen, entry.words, last.raw)
        else:
            query = _query(vector, entry.last_seen, entry.words)
        # Pinned entries are findable from anywhere: a query without a blocking key asks ANY.
        for block in (entry.block, ANY_BLOCK):
            rows = self._pinned.get(block)
            if rows is None:
                rows = self._pinned[block] = _Rows()
            rows.put(pinned, query)
        return True

    def exemplars_of(self, problem: str) -> list[str]:
        """The incidents whose wordings are kept as exemplars of ``problem``."""
        rows = self._pinned.get(ANY_BLOCK)
        entries = rows.entries if rows is not None else []
        return [
            e.record_id for at, e in enumerate(entries) if e.problem == problem and rows.alive[at]
        ]

    def forget(self, record_id: str, problems: set[str]) -> None:
        """Drop the exemplars of ``problems`` made from that incident."""
        for rows in self._pinned.values():
            for entry in rows.entries:
                if entry.record_id == record_id and entry.problem in problems:
                    rows.kill(entry)

    def _best(self, rows: _Rows | None, query: _Query, *, live: bool) -> Found | None:
        """The most similar entry at or above the threshold; ties go to the older
        cluster. Pure array work: however many rows are near, one entry is looked at."""
        if rows is None:
            return None
        start, size = rows.start, len(rows.entries)
        if start >= size:
            return None
        codes = rows.codes
        first = np.bitwise_count(codes[0, start:size] ^ query.codes[0])
        near = np.flatnonzero(first <= self._first)
        if not near.size:
            return None
        # 128 bits: the second word, for the rows the first let by.
        distance = first[near] + np.bitwise_count(codes[1, start:size][near] ^ query.codes[1])
        near = near[distance <= self._bound] + start
        if live:  # live rows never die, they age
            near = near[rows.times[near] >= (query.when - self.horizon).timestamp()]
        else:
            near = near[rows.alive[near]]
        if not near.size:
            return None
        # Rows hold unit vectors × 127: the products are cosines × 127.
        scores = rows.vectors[near].astype(np.float32) @ query.vector
        top = float(scores.max()) / 127.0
        threshold = self.dense(size - start) if live else self.exemplar
        if top < threshold:
            return self._by_words(rows, near, scores / 127.0, query)
        tied = near[scores >= top * 127.0]
        at = tied[np.argmin(rows.clusters[tied])] if tied.size > 1 else tied[0]
        if not live:
            return Found(rows.entries[at], top)
        hits = rows.clusters[near[scores >= threshold * 127.0]]
        found = self.find(int(rows.clusters[at]))
        also = {self.find(int(c)) for c in np.unique(hits)} - {found} if hits.size > 1 else ()
        return Found(rows.entries[at], top, frozenset(also))

    def dense(self, rows: int) -> float:
        """The cosine a ticket needs among ``rows`` recent tickets of its block: the
        threshold, raised in a crowded block (see DENSE_ROWS)."""
        if self.crowded is None or rows <= self.crowded[0]:
            return self.threshold
        crowd, step = self.crowded
        return self.threshold + step * min(1.0, math.log10(rows / crowd))

    def _by_words(
        self, rows: _Rows, near: NDArray[np.intp], scores: NDArray[np.float32], query: _Query
    ) -> Found | None:
        """The nearest few in meaning whose words are similar enough, if any."""
        if self.lexical > 1.0 or not query.words:
            return None
        best: Found | None = None
        for index in np.argsort(-scores, kind="stable")[:_WORD_CHECKS]:
            if scores[index] < NEAR:
                break
            entry = rows.entries[near[index]]
            union = len(query.words | entry.words)
            score = len(query.words & entry.words) / union if union else 0.0
            if score >= self.lexical and (best is None or score > best.score):
                best = Found(entry, score)
        return best

    def _prune_keys(self, when: datetime) -> None:
        horizon = when - self.horizon
        self._keys = {k: e for k, e in self._keys.items() if e.last_seen >= horizon}


def _query(vector: bytes, when: datetime, words: frozenset[str] = frozenset()) -> _Query:
    array = np.frombuffer(vector, np.int8) if vector else np.zeros(DIMENSIONS, np.int8)
    unit = array.astype(np.float32) * (1.0 / 127.0)
    return _Query(unit, codes_of(unit), when, words, array)


def _search_block(block: Hashable) -> Hashable:
    """Where a query looks among pinned entries: its block, or every block if it lacks a
    key (a ticket filed without a service may belong to any problem)."""
    if isinstance(block, tuple) and any(part is None for part in block):
        return ANY_BLOCK
    return block
