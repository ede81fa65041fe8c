"""What each system must receive next: the outbox rows a change fans out into."""

from __future__ import annotations

from pydantic import JsonValue

from ..model import AnyRecordType, Link, new_id
from ..store import OutboxItemIn, OutboxOperation, StoreTransaction
from .fields import changed, sync_fields
from .hub import Hub


def new_marker() -> str:
    """A correlation marker: safe in a Jira label, a Zendesk external_id, a sys field."""
    return f"itsmhub-{new_id().lower()}"


async def propagate(hub: Hub, tx: StoreTransaction, record: AnyRecordType, *, source: str) -> None:
    """Queue an update for every system whose base differs from the hub's values."""
    for ref in record.refs:
        target = ref.system
        if target not in hub.connectors:
            continue
        if target != source and not hub.router.flows(source, target):
            continue
        base = await tx.get_base(record.id, target)
        fields = sync_fields(record, hub.fields_of(target))
        if base is not None and not changed(fields, base.fields):
            continue
        await queue_update(tx, target, record.id)


async def queue_update(tx: StoreTransaction, target: str, record_id: str) -> None:
    """Queue one update of ``record_id`` for ``target``, unless one is already waiting:
    a waiting update sends whatever differs when it runs."""
    if not await tx.waiting_items(target, record_id, OutboxOperation.UPDATE):
        await tx.enqueue(
            OutboxItemIn(connector=target, record_id=record_id, operation=OutboxOperation.UPDATE)
        )


async def queue_create(
    tx: StoreTransaction, target: str, record_id: str, *, rule: str, options: dict[str, JsonValue]
) -> None:
    """Queue the creation of ``record_id``'s copy in ``target``, with a fresh correlation
    marker (written before the vendor call, so a retried create finds its first try)."""
    await tx.enqueue(
        OutboxItemIn(
            connector=target,
            record_id=record_id,
            operation=OutboxOperation.CREATE,
            payload={"rule": rule, "options": options},
            correlation_marker=new_marker(),
        )
    )


async def enqueue_comment(
    tx: StoreTransaction, target: str, record_id: str, comment_id: str
) -> None:
    # One marker per (system, comment): enqueueing it twice yields one row.
    await tx.enqueue(
        OutboxItemIn(
            connector=target,
            record_id=record_id,
            operation=OutboxOperation.COMMENT,
            payload={"comment_id": comment_id},
            correlation_marker=f"comment:{target}:{comment_id}",
        )
    )


async def enqueue_link(tx: StoreTransaction, target: str, record_id: str, link: Link) -> None:
    await tx.enqueue(
        OutboxItemIn(
            connector=target,
            record_id=record_id,
            operation=OutboxOperation.LINK,
            payload={"target_id": link.target_id, "kind": link.kind.value},
            correlation_marker=f"link:{target}:{record_id}:{link.kind.value}:{link.target_id}",
        )
    )


async def send_everything(tx: StoreTransaction, record: AnyRecordType, target: str) -> None:
    """A new copy in ``target`` gets the record's comments and links, once each."""
    for comment in getattr(record, "comments", []):
        if all(ref.system != target for ref in comment.refs):
            await enqueue_comment(tx, target, record.id, comment.id)
    for link in record.links:
        await enqueue_link(tx, target, record.id, link)


def receivers(hub: Hub, record: AnyRecordType, source: str) -> list[str]:
    return [
        ref.system
        for ref in record.refs
        if ref.system != source
        and ref.system in hub.connectors
        and hub.router.flows(source, ref.system)
    ]
