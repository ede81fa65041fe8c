"""Working the queued webhook events of one connector: each is a nudge to read its record
again through the API (the engine's ``refetch``), never a payload trusted as it came.

Several events about one record are served by one read. A record the remote no longer
has, or one the hub does not know whose kind the delivery did not say, is left to the
next poll. A transient failure leaves the event pending for the next run; after
``MAX_ATTEMPTS`` it is dead (and the poll still covers its record); a config error (bad
credentials) stops the batch and leaves the rest pending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from ..engine import Hub, refetch
from ..errors import ConfigError, ItsmhubError, StoreError, TransientError
from ..model import RecordKind
from ..store.webhooks import EventStatus, QueuedEvent

log = logging.getLogger("itsmhub.daemon")

#: Events read per run of a connector.
BATCH = 200
#: Tries before an event is given up (its record is still read by the next poll).
MAX_ATTEMPTS = 5

Latency = Callable[[float], None]

_UNKNOWN = "not known here and of no given kind: left to polling"


@dataclass
class EventStats:
    done: int = 0
    retried: int = 0
    dead: int = 0
    records: int = 0
    errors: list[str] = field(default_factory=list)


async def work_events(
    hub: Hub, name: str, *, latency: Latency | None = None, batch: int = BATCH
) -> EventStats:
    """Read again the records the pending events of ``name`` name; settle the events.
    The caller holds the connector's lease."""
    stats = EventStats()
    events = await hub.store.pending_webhook_events(name, batch)
    groups: dict[tuple[RecordKind | None, str], list[QueuedEvent]] = {}
    for event in events:
        groups.setdefault((event.kind, event.remote_id), []).append(event)
    for (kind, remote_id), group in groups.items():
        if not await _work_one(hub, name, kind, remote_id, group, stats, latency):
            break
    return stats


async def _work_one(
    hub: Hub,
    name: str,
    kind: RecordKind | None,
    remote_id: str,
    group: list[QueuedEvent],
    stats: EventStats,
    latency: Latency | None,
) -> bool:
    """One record's events; False when the rest of the batch must wait (config error)."""
    ids = [e.id for e in group]
    kind = kind or await _known_kind(hub, name, remote_id)
    if kind is None:
        await _settle(
            hub, ids, EventStatus.DONE, "not known here and of no given kind: left to polling"
        )
        stats.done += len(ids)
        return True
    try:
        found = await refetch(hub, name, kind, remote_id)
    except ConfigError as exc:
        stats.errors.append(f"events: {exc}")
        await _settle(hub, ids, EventStatus.PENDING, str(exc))
        return False
    except (TransientError, StoreError, SQLAlchemyError) as exc:
        failed = _retry_or_give_up(group)
        await _settle(hub, failed[0], EventStatus.PENDING, _reason(exc))
        await _settle(hub, failed[1], EventStatus.DEAD, _reason(exc))
        stats.retried += len(failed[0])
        stats.dead += len(failed[1])
        return True
    except ItsmhubError as exc:  # a record error, an answer it cannot read: not retried
        await _settle(hub, ids, EventStatus.DEAD, _reason(exc))
        stats.dead += len(ids)
        return True
    note = None if found else f"{name} no longer has it"
    now = await _settle(hub, ids, EventStatus.DONE, note)
    stats.done += len(ids)
    stats.records += 1
    if latency is not None:
        for event in group:
            latency((now - event.received_at).total_seconds())
    return True


async def _known_kind(hub: Hub, name: str, remote_id: str) -> RecordKind | None:
    record = await hub.store.find_by_ref(name, remote_id)
    if record is not None:
        return record.kind
    kinds = hub.connector(name).record_kinds
    return next(iter(kinds)) if len(kinds) == 1 else None


def _retry_or_give_up(group: list[QueuedEvent]) -> tuple[list[int], list[int]]:
    again = [e.id for e in group if e.attempts + 1 < MAX_ATTEMPTS]
    dead = [e.id for e in group if e.attempts + 1 >= MAX_ATTEMPTS]
    return again, dead


async def _settle(hub: Hub, ids: list[int], status: EventStatus, error: str | None) -> datetime:
    now = hub.clock()
    await hub.store.settle_webhook_events(ids, status, at=now, error=error)
    if status is EventStatus.DEAD:
        log.warning("gave up %d webhook event(s) after %d tries: %s", len(ids), MAX_ATTEMPTS, error)
    return now


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ItsmhubError):
        return exc.message
    return type(exc).__name__  # a driver error: its text may carry SQL and values


__all__ = ["BATCH", "MAX_ATTEMPTS", "EventStats", "work_events"]
