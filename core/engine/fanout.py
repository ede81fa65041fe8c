"""What each system must receive next: the outbox rows a change fans out into.

Every row is checked against what its connector can do first: a write a connector cannot
make is not queued (it would only fail later); the reason is audited instead, once per
record, system and operation. The rows go to a :class:`Sink`: a batch's writes (a pulled
page, a batch of pushes) or one store transaction (a rule's proposal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from pydantic import JsonValue

from ..model import AnyRecordType, Link, LinkKind, new_id
from ..store import OutboxItemIn, OutboxOperation, StoreTransaction, Writes
from .fields import changed, sync_fields

if TYPE_CHECKING:
    from ..store import Base
    from .hub import Hub


def new_marker() -> str:
    """A correlation marker: safe in a Jira label, a Zendesk external_id, a sys field."""
    return f"itsmhub-{new_id().lower()}"


def link_marker(target: str, record_id: str, link: Link) -> str:
    """The correlation marker of the row writing ``link`` of a record to ``target``."""
    return f"link:{target}:{record_id}:{link.kind.value}:{link.target_id}"


class Sink(Protocol):
    """Where queued rows and audit entries go."""

    async def waiting(self, target: str, record_id: str, operation: OutboxOperation) -> bool:
        """Whether a row of ``operation`` for this record and system is still open."""
        ...

    async def enqueue(self, item: OutboxItemIn) -> None: ...

    async def audit(
        self, event: str, record_id: str | None, detail: dict[str, JsonValue]
    ) -> None: ...


@dataclass
class BatchSink:
    """Rows added to a batch's :class:`~itsmhub.store.Writes`; ``open`` holds the rows the
    store already had open, loaded with the batch."""

    writes: Writes
    source: str
    open: set[tuple[str, str, str]] = field(default_factory=set)

    async def waiting(self, target: str, record_id: str, operation: OutboxOperation) -> bool:
        return (target, record_id, operation.value) in self.open

    async def enqueue(self, item: OutboxItemIn) -> None:
        if item.record_id is not None and item.correlation_marker is None:
            self.open.add((item.connector, item.record_id, item.operation.value))
        self.writes.outbox.append(item)

    async def audit(self, event: str, record_id: str | None, detail: dict[str, JsonValue]) -> None:
        self.writes.add_audit(event, record_id=record_id, connector=self.source, detail=detail)


@dataclass
class TransactionSink:
    """Rows written at once in one store transaction."""

    tx: StoreTransaction
    source: str

    async def waiting(self, target: str, record_id: str, operation: OutboxOperation) -> bool:
        return bool(await self.tx.waiting_items(target, record_id, operation))

    async def enqueue(self, item: OutboxItemIn) -> None:
        await self.tx.enqueue(item)

    async def audit(self, event: str, record_id: str | None, detail: dict[str, JsonValue]) -> None:
        await self.tx.audit(event, record_id=record_id, connector=self.source, detail=detail)


@dataclass
class Fanout:
    """Queues the writes that take a hub change to the other systems."""

    hub: Hub
    sink: Sink
    _refused: set[tuple[str, str, str]] = field(default_factory=set)

    async def allowed(
        self, target: str, record: AnyRecordType, operation: str, link: Link | None = None
    ) -> bool:
        """Whether ``target`` can take this write; if not, say why in the audit (once)."""
        why = self.hub.cannot(target, record, operation, link)
        if why is None:
            return True
        key = (target, record.id, operation)
        if key not in self._refused:
            self._refused.add(key)
            await self.sink.audit(
                "outbox.unsupported",
                record.id,
                {"to": target, "operation": operation, "why": why},
            )
        return False

    async def propagate(
        self, record: AnyRecordType, bases: dict[str, Base | None], *, source: str
    ) -> None:
        """Queue an update for every system whose base differs from the hub's values.

        ``bases`` holds each system's base for the record (None: not agreed yet)."""
        for ref in record.refs:
            target = ref.system
            if target not in self.hub.connectors:
                continue
            if target != source and not self.hub.router.flows(source, target):
                continue
            base = bases.get(target)
            fields = sync_fields(record, self.hub.fields_of(target))
            if base is not None and not changed(fields, base.fields):
                continue
            await self.queue_update(target, record)

    async def queue_update(self, target: str, record: AnyRecordType) -> None:
        """Queue one update of ``record`` for ``target``, unless one is already open: an
        open update sends whatever differs when it runs."""
        if not await self.allowed(target, record, "update"):
            return
        if await self.sink.waiting(target, record.id, OutboxOperation.UPDATE):
            return
        await self.sink.enqueue(
            OutboxItemIn(connector=target, record_id=record.id, operation=OutboxOperation.UPDATE)
        )

    async def queue_create(
        self, target: str, record: AnyRecordType, *, rule: str, options: dict[str, JsonValue]
    ) -> None:
        """Queue the creation of ``record``'s copy in ``target``, with a fresh correlation
        marker (written before the vendor call, so a retried create finds its first try)."""
        if not await self.allowed(target, record, "create"):
            return
        await self.sink.enqueue(
            OutboxItemIn(
                connector=target,
                record_id=record.id,
                operation=OutboxOperation.CREATE,
                payload={"rule": rule, "options": options},
                correlation_marker=new_marker(),
            )
        )

    async def comment(
        self, target: str, record: AnyRecordType, comment_id: str, *, edit: bool = False
    ) -> None:
        """Queue a comment (or its edit) for ``target``; one row per system and comment."""
        if not await self.allowed(target, record, "comment_edit" if edit else "comment"):
            return
        payload: dict[str, JsonValue] = {"comment_id": comment_id}
        marker: str | None = f"comment:{target}:{comment_id}"
        if edit:
            payload["edit"] = True
            marker = None  # every edit is its own row
        await self.sink.enqueue(
            OutboxItemIn(
                connector=target,
                record_id=record.id,
                operation=OutboxOperation.COMMENT,
                payload=payload,
                correlation_marker=marker,
            )
        )

    async def link(
        self, target: str, record: AnyRecordType, link: Link, *, marker: str | None = None
    ) -> None:
        """Queue ``link`` of ``record`` for ``target``: one row per link and system, unless
        ``marker`` names a later attempt of its own."""
        if not await self.allowed(target, record, "link", link):
            return
        await self.sink.enqueue(
            OutboxItemIn(
                connector=target,
                record_id=record.id,
                operation=OutboxOperation.LINK,
                payload={"target_id": link.target_id, "kind": link.kind.value},
                correlation_marker=marker or link_marker(target, record.id, link),
            )
        )

    async def unlink(
        self, target: str, record: AnyRecordType, kind: LinkKind, target_id: str
    ) -> None:
        link = Link(kind=kind, target_id=target_id)
        if not await self.allowed(target, record, "unlink", link):
            return
        await self.sink.enqueue(
            OutboxItemIn(
                connector=target,
                record_id=record.id,
                operation=OutboxOperation.UNLINK,
                payload={"target_id": target_id, "kind": kind.value},
            )
        )

    async def send_everything(self, record: AnyRecordType, target: str) -> None:
        """A new copy in ``target`` gets the record's comments and links, once each."""
        for comment in getattr(record, "comments", []):
            if all(ref.system != target for ref in comment.refs):
                await self.comment(target, record, comment.id)
        for link in record.links:
            await self.link(target, record, link)

    def receivers(self, record: AnyRecordType, source: str) -> list[str]:
        """The systems a change of ``record`` pulled from ``source`` is written to."""
        return [
            ref.system
            for ref in record.refs
            if ref.system != source
            and ref.system in self.hub.connectors
            and self.hub.router.flows(source, ref.system)
        ]
