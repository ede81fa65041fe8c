"""The search index: issues ordered by ``(updated, key)``, seen through the index lag.

Jira's issue search is eventually consistent (vendor-apis.md §2.3): a write shows in
search only once indexed. With a :class:`~itsmhub.emulation.Lag`, a written issue keeps
its last indexed version in search (or none, for a new issue) until the lag has passed.
Searches ordered ``updated ASC`` (what a sync sends) walk the sorted keys from the
query's lower bound or from the page token's position; other orders sort the matches.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .clauses import sort_key
from .jql import Query
from .model import Issue

SortKey = tuple[int, str, int, str]


@dataclass
class _Pending:
    visible_at: datetime
    indexed: Issue | None
    """What search shows until then: the version indexed before the write, if any."""


@dataclass
class SearchIndex:
    issues: dict[str, Issue]
    keys: list[SortKey] = field(default_factory=list)
    pending: dict[str, _Pending] = field(default_factory=dict)

    def add(self, issue: Issue) -> None:
        bisect.insort(self.keys, issue.sort_key)

    def moved(self, old: SortKey, issue: Issue) -> None:
        """Re-place an issue whose ``updated`` changed from the one in ``old``."""
        index = bisect.bisect_left(self.keys, old)
        if index < len(self.keys) and self.keys[index] == old:
            del self.keys[index]
        bisect.insort(self.keys, issue.sort_key)

    def rebuild(self) -> None:
        self.keys = sorted(issue.sort_key for issue in self.issues.values())

    def written(self, before: Issue | None, issue_id: str, now: datetime, lag: float) -> None:
        """Note a write to ``issue_id``; ``before`` is the version as it was (None: new)."""
        if lag <= 0:
            return
        self._settle(now)  # a version already indexed is what search shows until this one
        visible_at = now + timedelta(seconds=lag)
        earlier = self.pending.get(issue_id)
        indexed = earlier.indexed if earlier is not None else before
        self.pending[issue_id] = _Pending(visible_at, indexed)

    @staticmethod
    def snapshot(issue: Issue) -> Issue:
        return copy.deepcopy(issue)

    def _settle(self, now: datetime) -> None:
        for issue_id in [i for i, p in self.pending.items() if p.visible_at <= now]:
            del self.pending[issue_id]

    def search(
        self,
        query: Query,
        now: datetime,
        *,
        after: Any,
        limit: int,
        reconcile: set[str] | frozenset[str] = frozenset(),
    ) -> tuple[list[Issue], Any]:
        """Up to ``limit`` matches after the position ``after`` (from a page token); the
        position after the last one when more follow, else None. Ordered by ``updated``
        (a sync's order) the position is the last sort key, so an issue edited while
        pages are read is not skipped; in other orders it is an offset."""
        self._settle(now)
        order = query.order or [("created", True)]
        fast = order[0] == ("updated", False) and all(
            name == "key" and not desc for name, desc in order[1:]
        )
        if fast:
            matches = self._walk(query, after, set(reconcile))
        else:
            matches = self._sorted(query, int(after or 0), set(reconcile))
        found: list[Issue] = []
        for issue in matches:
            if len(found) == limit:
                return found, list(found[-1].sort_key) if fast else int(after or 0) + limit
            found.append(issue)
        return found, None

    def _candidates(self, start: SortKey | None, reconcile: set[str]) -> Iterator[Issue]:
        """Issues in ``(updated, key)`` order as search sees them, from ``start``."""
        begin = bisect.bisect_right(self.keys, start) if start else 0
        hidden = {i for i in self.pending if i not in reconcile}
        if not hidden:
            for key in self.keys[begin:]:
                yield self.issues[key[3]]
            return
        shown = [
            p.indexed
            for i, p in self.pending.items()
            if i in hidden
            and p.indexed is not None
            and (start is None or p.indexed.sort_key > start)
        ]
        live = (self.issues[k[3]] for k in self.keys[begin:] if k[3] not in hidden)
        merged = sorted([*live, *shown], key=lambda i: i.sort_key)
        yield from merged

    def _walk(self, query: Query, after: list[Any] | None, reconcile: set[str]) -> Iterator[Issue]:
        start: SortKey | None = tuple(after) if after else None  # type: ignore[assignment]
        if start is None and query.updated_from is not None:
            start = (query.updated_from - 1, "\uffff", 0, "")
        for issue in self._candidates(start, reconcile):
            if query.updated_to is not None and issue.sort_key[0] > query.updated_to:
                return
            if query.where is None or query.where(issue):
                yield issue

    def _sorted(self, query: Query, offset: int, reconcile: set[str]) -> Iterator[Issue]:
        matched = sorted(
            (i for i in self._candidates(None, reconcile) if query.where is None or query.where(i)),
            key=sort_key(query.order),
        )
        yield from matched[offset:]


__all__ = ["SearchIndex"]
