"""What a record's new copy in a system starts, however the copy was learnt of: settled
after a create, recovered by its marker, or adopted when a pull read it back.

A record the hub made itself (a problem a rule opened) has no pulled origin, so no pull
ever routed it: its first copy stands in for where it came from, and the routing rules
from that system copy it on. And links other records hold to it could not be written
where the copy did not exist yet: they are queued now where both ends meet. Both are
queued in the transaction that records the copy, so a crash loses neither.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import JsonValue

from ..model import AnyRecordType, ExternalRef, Link
from ..store import OutboxStatus, StoreTransaction
from .fanout import Fanout, link_marker
from .hub import Hub

Audit = Callable[[str, str | None, dict[str, JsonValue]], None]


@dataclass(frozen=True)
class NewCopy:
    """A record's copy just learnt of in one system."""

    record: AnyRecordType
    ref: ExternalRef
    first: bool
    """Its first copy anywhere: the hub made the record itself."""


async def follow_copies(
    hub: Hub,
    tx: StoreTransaction,
    fanout: Fanout,
    system: str,
    copies: Sequence[NewCopy],
    *,
    now: datetime,
    audit: Audit,
) -> None:
    """Route first copies and queue the links that can now be written (module docstring).
    The copies of a batch are looked up together: a few queries, not a few per copy."""
    if not copies:
        return
    routed = {
        c.record.id: await _route(hub, fanout, system, c, now, audit) for c in copies if c.first
    }
    incoming = await tx.links_into(c.record.id for c in copies)
    if not incoming:
        return
    sources = await tx.load_records({s for found in incoming.values() for s, _ in found})
    wanted: dict[str, tuple[str, AnyRecordType, Link, NewCopy]] = {}
    for copy in copies:
        for source_id, kind in incoming.get(copy.record.id, []):
            loaded = sources.get(source_id)
            if loaded is None:
                continue
            target = Link(kind=kind, target_id=copy.record.id)
            meeting = _meeting(hub, system, copy, loaded.record, routed.get(copy.record.id))
            for where in meeting:
                wanted[link_marker(where, source_id, target)] = (where, loaded.record, target, copy)
    earlier = await tx.outbox_by_markers(wanted)
    for marker, (where, source, target, copy) in wanted.items():
        row = earlier.get(marker)
        if row is None:
            await fanout.link(where, source, target)
        elif row.status is OutboxStatus.DONE:
            # Done before this copy existed: it was skipped then. A marker of its own.
            again = f"{marker}:{copy.ref.system}:{copy.ref.remote_id}"
            await fanout.link(where, source, target, marker=again)
        # An open row finds the copy by itself when it is claimed.


async def _route(
    hub: Hub, fanout: Fanout, system: str, copy: NewCopy, now: datetime, audit: Audit
) -> set[str]:
    routes = hub.router.routes_for(copy.record, system, now)
    targets = set()
    for route in routes:
        if copy.record.ref_for(route.target) is None:
            await fanout.queue_create(
                route.target, copy.record, rule=route.rule, options=route.options
            )
            targets.add(route.target)
    if routes:
        audit(
            "record.routed",
            copy.record.id,
            {"from": system, "routed": [{"rule": r.rule, "to": r.target} for r in routes]},
        )
    return targets


def _meeting(
    hub: Hub, system: str, copy: NewCopy, source: AnyRecordType, routed: set[str] | None
) -> list[str]:
    """The systems where ``source``'s link to the copy's record can now be written: the
    copy's own, and, for a first copy, those that show links to records elsewhere (Jira's
    remote links) unless a copy of its own is on the way there."""
    found = []
    for ref in source.refs:
        where = ref.system
        elsewhere = (
            copy.first
            and where != system
            and where not in (routed or set())
            and where in hub.connectors
            and hub.connector(where).links_elsewhere
        )
        if where == system or elsewhere:
            found.append(where)
    return found
