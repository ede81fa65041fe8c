"""What every rule needs to know about problems: which exist, which are open, which are
known errors with a workaround or fixed, and which tickets are (or will be) linked to them.

Proposals made earlier in the same run count as done, so two rules never open two
problems for the same incidents, and a dry-run shows what the whole rule set would do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import RecordKind
from .facts import TicketFacts

_NONE: frozenset[str] = frozenset()


def stable_id(*parts: str) -> str:
    """A hub id derived from ``parts``: replays and retries name the same thing the same."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"R{digest[:25].upper()}"


@dataclass
class Catalog:
    """Problems and known errors, and the links from tickets to them."""

    problems: dict[str, TicketFacts] = field(default_factory=dict)
    proposed: set[str] = field(default_factory=set)
    #: Mentions in ticket text (OPS-123, #4711, URLs) → the (system, record id) they name;
    #: filled by the runner, which can ask the store.
    mentions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _links: dict[str, set[str]] = field(default_factory=dict)
    _related: set[tuple[str, str]] = field(default_factory=set)

    def observe(self, facts: TicketFacts) -> None:
        if facts.kind in (RecordKind.PROBLEM, RecordKind.KNOWN_ERROR):
            self.problems[facts.record_id] = facts
        if facts.problem_ids:
            self._links.setdefault(facts.record_id, set()).update(facts.problem_ids)

    def propose_problem(self, problem_id: str, members: Iterable[str]) -> None:
        self.proposed.add(problem_id)
        for member in members:
            self.link(member, problem_id)

    def link(self, record_id: str, problem_id: str) -> None:
        self._links.setdefault(record_id, set()).add(problem_id)

    def problems_of(self, record_id: str) -> set[str] | frozenset[str]:
        return self._links.get(record_id, _NONE)

    def is_open(self, problem_id: str) -> bool:
        """Open, or about to be opened by a proposal of this run."""
        problem = self.problems.get(problem_id)
        if problem is not None:  # what the store says beats what this run proposed
            return problem.is_open
        return problem_id in self.proposed

    def open_problem_of(self, record_id: str) -> str | None:
        """An open problem the ticket is linked to (the oldest id, for determinism)."""
        linked = self._links.get(record_id)
        if not linked:  # most tickets: no problem at all
            return None
        return min((p for p in linked if self.is_open(p)), default=None)

    def relate(self, record_id: str, target_id: str) -> bool:
        """Note a proposed link between two tickets; False if one was already proposed."""
        pair = (min(record_id, target_id), max(record_id, target_id))
        if pair in self._related:
            return False
        self._related.add(pair)
        return True
