"""What applying a page works with: its items, what it loaded for them, what it did."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..exchange import RejectedRecord, RemoteChange, RemoteComments
from ..store import Base, Loaded, OutboxItem, ParkedItem

PageItem = RemoteChange | RemoteComments | RejectedRecord


@dataclass
class PullStats:
    """What one pull did, for reports and ``itsmhub status``."""

    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    rejected: int = 0
    conflicts: int = 0
    pages: int = 0
    parked: int = 0

    def add(self, other: PullStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PageContext:
    """What the page's items need from the store, kept current as they are merged."""

    refs: dict[str, str]
    loaded: dict[str, Loaded]
    bases: dict[str, dict[str, Base]]
    """By record id, then system."""
    intents: dict[str, OutboxItem]
    sent_updates: dict[str, list[OutboxItem]]
    targets: dict[tuple[str, str], str]
    parked: dict[str, list[ParkedItem]]
    tombstones: set[tuple[str, str, str]]
    new_here: set[str] = field(default_factory=set)


def by_awaited(items: list[ParkedItem]) -> dict[str, list[ParkedItem]]:
    """Parked items by the remote id each waits for."""
    found: dict[str, list[ParkedItem]] = {}
    for item in items:
        found.setdefault(item.awaits, []).append(item)
    return found
