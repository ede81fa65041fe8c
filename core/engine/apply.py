"""Applying pulled changes to the hub, inside the page's transaction.

For each change: find the hub record (by ref, or by our correlation marker when it is a
copy we created), merge per field against the base this system last agreed on, keep its
comments and links, record the new base, and write into the outbox what every other
system must now receive. A change whose (remote id, version) was already applied is a
no-op, so overlapping re-reads and echoes of our own writes go nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from ..errors import RecordError
from ..exchange import RejectedRecord, RemoteChange
from ..model import AnyRecordType, Comment, ExternalRef, Link, new_id
from ..store import Base, DeadLetterIn, OutboxItemIn, OutboxOperation, StoreTransaction
from .comments import merge_comments
from .fanout import (
    enqueue_comment,
    enqueue_link,
    propagate,
    queue_create,
    receivers,
    send_everything,
)
from .fields import sync_fields, with_fields
from .hub import Hub
from .merge import Holder, merge


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

    def add(self, other: PullStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PageApplier:
    """Applies the changes of one page from one system within one transaction."""

    hub: Hub
    system: str
    tx: StoreTransaction
    now: datetime
    stats: PullStats = field(default_factory=PullStats)

    async def apply(self, change: RemoteChange) -> None:
        self.stats.seen += 1
        try:
            await self._apply(change)
        except (RecordError, ValidationError) as exc:
            reason = exc.message if isinstance(exc, RecordError) else _first_error(exc)
            await self._dead_letter(change.kind.value, change.remote_id, change.version, reason)

    async def reject(self, rejected: RejectedRecord) -> None:
        """A record the connector could not read: dead-lettered with its reason."""
        self.stats.seen += 1
        await self._dead_letter(
            rejected.kind.value,
            rejected.remote_id or "?",
            rejected.version or "",
            rejected.reason,
            error_class=rejected.error_class,
            excerpt=rejected.excerpt,
        )

    async def _apply(self, change: RemoteChange) -> None:
        tx, system = self.tx, self.system
        record = await tx.find_by_ref(system, change.remote_id)
        if change.deleted or change.record is None:
            if record is not None:
                # Deletes are not mirrored: a ticket deleted in one tool stays in the others.
                await self._audit("remote.deleted", record.id, {"remote_id": change.remote_id})
            return
        if record is None and change.marker:
            record = await self._adopt(change)
        if record is None:
            await self._create(change)
            return
        base = await tx.get_base(record.id, system)
        if base is not None and base.remote_version == change.version:
            self.stats.unchanged += 1
            return
        if (
            base is not None
            and base.remote_updated_at
            and change.changed_at < base.remote_updated_at
        ):
            self.stats.stale += 1  # an older version (a backfill behind the cursor): keep ours
            return
        await self._merge(record, base, change)

    async def _merge(self, record: AnyRecordType, base: Base | None, change: RemoteChange) -> None:
        assert change.record is not None
        pulled = sync_fields(change.record, self.hub.fields_of(self.system))
        hub_fields = sync_fields(record)
        others = [b for b in await self.tx.bases_of(record.id) if b.system != self.system]
        holders = {
            name: [
                Holder(b.system, b.remote_updated_at)
                for b in others
                if b.fields.get(name) == hub_fields.get(name)
            ]
            for name in pulled
        }
        result = merge(
            hub_fields,
            base.fields if base is not None else None,
            pulled,
            system=self.system,
            changed_at=change.changed_at,
            holders=holders,
            policy=self.hub.config.sync,
        )
        for conflict in result.conflicts:
            self.stats.conflicts += 1
            await self._audit(
                "conflict",
                record.id,
                {
                    "field": conflict.field,
                    "incoming": {"system": conflict.incoming_system, "value": conflict.incoming},
                    "incumbent": {"system": conflict.incumbent_system, "value": conflict.incumbent},
                    "winner": conflict.winner,
                    "reason": conflict.reason,
                },
            )
        updated = with_fields(record, result.fields)
        new_comments, edited = merge_comments(updated, change.record.comments, self.system)
        new_links = await self._merge_links(updated, change.record.links)
        updated.updated_at = self.now
        await self.tx.put_record(updated)
        await self._put_base(updated.id, pulled, change)
        if result.changed or new_comments or edited or new_links:
            self.stats.updated += 1
            await self._audit(
                "record.updated",
                updated.id,
                {
                    "fields": result.changed,
                    "comments_added": len(new_comments),
                    "comments_edited": len(edited),
                    "links_added": len(new_links),
                },
            )
        else:
            self.stats.unchanged += 1
        await propagate(self.hub, self.tx, updated, source=self.system)
        await self._send_comments(updated, new_comments, edited)
        await self._send_links(updated, new_links)

    async def _create(self, change: RemoteChange) -> None:
        """A record the hub has never seen: keep it and route copies where rules say."""
        assert change.record is not None
        # The hub names its records itself, whatever id a connector's mapping left.
        record = change.record.model_copy(update={"id": new_id()})
        if record.ref_for(self.system) is None:
            ref = ExternalRef(system=self.system, remote_id=change.remote_id)
            record = record.model_copy(update={"refs": [*record.refs, ref]})
        links = [link for link in record.links if link.target_id is not None]
        record = record.model_copy(update={"links": links})
        resolved = await self._merge_links(record, change.record.links)
        await self.tx.put_record(record)
        await self._put_base(
            record.id, sync_fields(record, self.hub.fields_of(self.system)), change
        )
        self.stats.created += 1
        routes = self.hub.router.routes_for(record, self.system, self.now)
        await self._audit(
            "record.created",
            record.id,
            {
                "remote_id": change.remote_id,
                "routed": [{"rule": route.rule, "to": route.target} for route in routes],
            },
        )
        considered = self.hub.router.rules_from(self.system, record.kind)
        if not routes and considered:
            # A filter that keeps a record out is a decision an admin must be able to see.
            await self._audit(
                "record.not_routed",
                record.id,
                {
                    "why": "no routing rule matched",
                    "rules": considered,
                },
            )
        for route in routes:
            await queue_create(
                self.tx, route.target, record.id, rule=route.rule, options=route.options
            )
        await self._send_links(record, resolved)

    async def _adopt(self, change: RemoteChange) -> AnyRecordType | None:
        """A record carrying one of our markers is our copy: link it, never mirror it."""
        assert change.marker is not None and change.record is not None
        intent = await self.tx.outbox_by_marker(change.marker)
        if intent is None or intent.connector != self.system or intent.record_id is None:
            return None
        record = await self.tx.get_record(intent.record_id)
        if record is None:
            return None
        ref = change.record.ref_for(self.system) or ExternalRef(
            system=self.system, remote_id=change.remote_id
        )
        await self.tx.put_ref(record.id, ref)
        # Its base is what we sent; the merge that follows sees only later human edits.
        await self.tx.put_base(
            Base(
                record_id=record.id,
                system=self.system,
                fields=sync_fields(change.record, self.hub.fields_of(self.system)),
                remote_version=None,
                remote_updated_at=None,
                agreed_at=self.now,
            )
        )
        await self.tx.complete(intent.id)
        await self._audit("record.adopted", record.id, {"remote_id": change.remote_id})
        adopted = await self.tx.get_record(record.id)
        assert adopted is not None
        await send_everything(self.tx, adopted, self.system)
        return adopted

    async def _merge_links(self, record: AnyRecordType, pulled: list[Link]) -> list[Link]:
        """Resolve pulled links to hub ids; add the new ones to ``record``; return them."""
        added = []
        known = {(link.kind, link.target_id) for link in record.links}
        for link in pulled:
            target_id = link.target_id
            if link.target_ref is not None:
                target = await self.tx.find_by_ref(
                    link.target_ref.system, link.target_ref.remote_id
                )
                if target is None:
                    await self._audit(
                        "link.unresolved",
                        record.id,
                        {
                            "kind": link.kind.value,
                            "target": link.target_ref.remote_id,
                        },
                    )
                    continue
                target_id = target.id
            if target_id is None or target_id == record.id or (link.kind, target_id) in known:
                continue
            resolved = Link(
                kind=link.kind, target_id=target_id, origin=self.system, reason=link.reason
            )
            known.add((link.kind, target_id))
            added.append(resolved)
        if added:
            record.links = [*record.links, *added]
        return added

    async def _send_comments(
        self, record: AnyRecordType, new: list[Comment], edited: list[Comment]
    ) -> None:
        for target in receivers(self.hub, record, self.system):
            for comment in new:
                await enqueue_comment(self.tx, target, record.id, comment.id)
            for comment in edited:
                if comment.refs and any(ref.system == target for ref in comment.refs):
                    await self.tx.enqueue(
                        OutboxItemIn(
                            connector=target,
                            record_id=record.id,
                            operation=OutboxOperation.COMMENT,
                            payload={"comment_id": comment.id, "edit": True},
                        )
                    )

    async def _send_links(self, record: AnyRecordType, links: list[Link]) -> None:
        for target in receivers(self.hub, record, self.system):
            for link in links:
                await enqueue_link(self.tx, target, record.id, link)

    async def _put_base(self, record_id: str, fields: dict[str, Any], change: RemoteChange) -> None:
        await self.tx.put_base(
            Base(
                record_id=record_id,
                system=self.system,
                fields=fields,
                remote_version=change.version,
                remote_updated_at=change.changed_at,
                agreed_at=self.now,
            )
        )

    async def _audit(self, event: str, record_id: str | None, detail: dict[str, Any]) -> None:
        await self.tx.audit(event, record_id=record_id, connector=self.system, detail=detail)

    async def _dead_letter(
        self,
        kind: str,
        remote_id: str,
        version: str,
        reason: str,
        *,
        error_class: str = "RecordError",
        excerpt: Any = None,
    ) -> None:
        self.stats.rejected += 1
        await self.tx.add_dead_letter(
            DeadLetterIn(
                connector=self.system,
                record_key=remote_id,
                remote_version=version,
                error_class=error_class,
                reason=reason,
                payload={
                    "origin": "pull",
                    "kind": kind,
                    "remote_id": remote_id,
                    "excerpt": excerpt,
                },
            )
        )
        await self.tx.audit(
            "error.record",
            connector=self.system,
            detail={
                "remote_id": remote_id,
                "reason": reason,
            },
        )


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]
