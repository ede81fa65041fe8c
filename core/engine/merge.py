"""Per-field three-way merge of one pulled change into the hub, with the conflict policy.

Pure: no I/O, no clock. The engine hands it the hub's values, the base the pulling system
last agreed on, what that system holds now, and who holds the hub's current values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import JsonValue

from ..config.models import ConflictPolicy, SyncSettings
from .fields import Fields, same


@dataclass(frozen=True)
class Holder:
    """A system whose base agrees with the hub on a field, and when it last changed."""

    system: str
    changed_at: datetime | None


@dataclass(frozen=True)
class Conflict:
    """Two systems changed one field since their bases; ``winner`` is the one kept."""

    field: str
    incoming_system: str
    incoming: JsonValue
    incumbent_system: str | None
    incumbent: JsonValue
    winner: str
    reason: str


@dataclass
class MergeResult:
    fields: Fields
    changed: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def merge(
    hub: Fields,
    base: Fields | None,
    pulled: Fields,
    *,
    system: str,
    changed_at: datetime,
    holders: dict[str, list[Holder]],
    policy: SyncSettings,
) -> MergeResult:
    """Merge what ``system`` changed since ``base`` into ``hub``.

    A field the system changed moves to the hub, unless the hub's value also moved away
    from that base (another system changed it): a conflict, settled by ``policy``.
    ``holders[f]`` names the systems whose bases hold the hub's current value of ``f``.
    """
    result = MergeResult(fields=dict(hub))
    for name in sorted(pulled):
        theirs = pulled[name]
        before = base.get(name) if base is not None else None
        if base is not None and name in base and same(theirs, before):
            continue  # this system did not change it
        ours = hub.get(name)
        if same(ours, theirs):
            continue
        if base is None or name not in base or same(ours, before):
            result.fields[name] = theirs
            result.changed.append(name)
            continue
        conflict = _settle(name, ours, theirs, system, changed_at, holders.get(name, []), policy)
        result.conflicts.append(conflict)
        if conflict.winner == system:
            result.fields[name] = theirs
            result.changed.append(name)
    return result


def _settle(
    name: str,
    ours: JsonValue,
    theirs: JsonValue,
    system: str,
    changed_at: datetime,
    holders: list[Holder],
    policy: SyncSettings,
) -> Conflict:
    incumbent = max(holders, key=lambda h: (h.changed_at is not None, h.changed_at), default=None)
    incumbent_system = incumbent.system if incumbent else None

    def decided(winner: str | None, reason: str) -> Conflict:
        return Conflict(name, system, theirs, incumbent_system, ours, winner or "hub", reason)

    owner = policy.field_owners.get(name)
    if policy.conflict_policy is ConflictPolicy.OWNER and owner is not None:
        if owner == system:
            return decided(system, f"{system} owns {name}")
        return decided(incumbent_system, f"{owner} owns {name}")
    theirs_at, ours_at = changed_at, incumbent.changed_at if incumbent else None
    if ours_at is None or theirs_at > ours_at:
        return decided(system, "newest change")
    if theirs_at < ours_at:
        return decided(incumbent_system, "newest change")
    # Vendor clocks tie: the configured rank decides, the same way on every run.
    if _rank(system, policy) < _rank(incumbent_system, policy):
        return decided(system, "same time; higher in system_rank")
    return decided(incumbent_system, "same time; incumbent kept")


def _rank(system: str | None, policy: SyncSettings) -> int:
    try:
        return policy.system_rank.index(system or "")
    except ValueError:
        return len(policy.system_rank)
