"""Applying a page of pulled items to the hub: one load, a merge in memory, one flush.

For a page from one system the applier loads, with one query per table, the records
its items name (by ref, or by our correlation marker when a copy we created comes back),
their bases in every system, the open outbox rows that concern them and the items parked
for them; then it merges each item in memory, in page order, and leaves everything it
decided in one :class:`~itsmhub.store.Writes` that the caller flushes with the cursor.

Per item:

- a change whose ``(remote id, version)`` was already applied is a no-op, so overlapping
  re-reads and echoes go nowhere; an older version than the base is kept out;
- a record carrying one of our markers is our copy: adopted, and merged three-way against
  what the create sent (never overwritten by it);
- the base is first settled from the writes whose outcome is unknown: a field that holds
  what an update sent is the hub's own write coming back, not an edit made there;
- fields merge against the base, conflicts are settled by policy and audited; comments
  are folded in; links merge against the links the system last held, so a link removed
  there is removed in the hub and in the other tools;
- what every other system must now receive goes to the outbox.

Links and what waits for a record not yet in the hub are ``page_links``'s part; what a
page writes (records, bases, history, audit, dead letters) is ``page_writes``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import anyio
from pydantic import JsonValue, ValidationError

from ..errors import RecordError
from ..exchange import RejectedRecord, RemoteChange, RemoteComments
from ..model import AnyRecordType, Comment, ExternalRef, new_id
from ..store import (
    Base,
    OutboxItem,
    OutboxOperation,
    StoreTransaction,
    Writes,
)
from .comments import merge_comments
from .copies import NewCopy, follow_copies
from .fanout import BatchSink, Fanout
from .fields import restrict, same, sync_fields, with_fields
from .hub import Hub
from .merge import Holder, merge
from .page_context import PageContext, PageItem, PullStats, by_awaited
from .page_links import PageLinks, pulled_pairs
from .page_writes import HISTORY_FIELDS, PageWrites

#: What a ticket's fingerprint and embedding are computed from (rules/facts.py): while
#: none of them changes, a write keeps both instead of computing them again.
TEXT_FIELDS = frozenset({"title", "description", "service", "reporter", "assignee"})


#: Items merged between two turns of the event loop (see ``PageApplier.apply_page``).
YIELD_EVERY = 50


class PageApplier(PageLinks, PageWrites):
    """Applies the items of one page from one system; see the module docstring."""

    def __init__(self, hub: Hub, system: str, tx: StoreTransaction, now: datetime) -> None:
        self.hub = hub
        self.system = system
        self.tx = tx
        self.now = now
        self.writes = Writes(now=now)
        self.sink = BatchSink(self.writes, system)
        self.fanout = Fanout(hub, self.sink)
        self.stats = PullStats()
        self.connector = hub.connector(system)
        self.ctx: PageContext | None = None
        self.copies: list[NewCopy] = []
        """Copies of hub records adopted in this page (see ``engine/copies.py``)."""

    # --- the page --------------------------------------------------------------------

    async def apply_page(self, items: Sequence[PageItem]) -> PullStats:
        """Merge ``items`` in order into :attr:`writes` (the caller flushes them)."""
        self.ctx = await self._load(items)
        for index, item in enumerate(items):
            if index % YIELD_EVERY == YIELD_EVERY - 1:
                # The merge awaits nothing: without this, the page's reader could not take
                # its answer and send the next request until the whole page is merged.
                await anyio.lowlevel.checkpoint()
            await self.apply(item)
        await self._unpark(items)
        hub, tx, now = self.hub, self.tx, self.now
        await follow_copies(
            hub, tx, self.fanout, self.system, self.copies, now=now, audit=self._audit
        )
        return self.stats

    async def apply(self, item: PageItem) -> None:
        """One item: merged, or dead-lettered with its reason."""
        if self.ctx is None:
            self.ctx = await self._load([item])
        self.stats.seen += 1
        if isinstance(item, RejectedRecord):
            self._reject(item)
            return
        try:
            if isinstance(item, RemoteComments):
                await self._comments(item)
            else:
                await self._change(item)
        except (RecordError, ValidationError) as exc:
            reason = exc.message if isinstance(exc, RecordError) else _first_error(exc)
            kind = item.kind.value if isinstance(item, RemoteChange) else "comments"
            version = item.version
            self._dead_letter(kind, item.remote_id, version, reason)

    async def _load(self, items: Sequence[PageItem]) -> PageContext:
        tx, system = self.tx, self.system
        changes = [i for i in items if isinstance(i, RemoteChange)]
        remote_ids = {i.remote_id for i in items if isinstance(i, RemoteChange | RemoteComments)}
        refs = await tx.records_by_refs(system, remote_ids)
        markers = {c.marker for c in changes if c.marker and c.remote_id not in refs}
        intents = {
            marker: row
            for marker, row in (await tx.outbox_by_markers(markers)).items()
            if row.connector == system and row.operation is OutboxOperation.CREATE
        }
        ids = set(refs.values()) | {row.record_id for row in intents.values() if row.record_id}
        loaded = await tx.load_records(ids, lock=True)
        bases = await tx.load_bases(ids)
        open_rows = await tx.open_items(
            ids, (OutboxOperation.UPDATE, OutboxOperation.CREATE, OutboxOperation.LINK)
        )
        sent_updates: dict[str, list[OutboxItem]] = {}
        for row in open_rows:
            self.sink.open.add((row.connector, row.record_id or "", row.operation.value))
            if row.connector == system and row.operation is OutboxOperation.UPDATE and row.sent:
                sent_updates.setdefault(row.record_id or "", []).append(row)
        targets = await self._link_targets(changes, loaded)
        parked = await tx.parked_for(system, remote_ids)
        tombstone_keys = {
            (rid, target, kind)
            for c in changes
            if (rid := refs.get(c.remote_id)) is not None
            for kind, target in pulled_pairs(c, targets, system, refs)
        }
        by_record: dict[str, dict[str, Base]] = {}
        for (record_id, base_system), base in bases.items():
            by_record.setdefault(record_id, {})[base_system] = base
        return PageContext(
            refs=refs,
            loaded=loaded,
            bases=by_record,
            intents=intents,
            sent_updates=sent_updates,
            targets=targets,
            parked=by_awaited(parked),
            tombstones=await tx.tombstoned(tombstone_keys) if tombstone_keys else set(),
        )

    # --- changes ---------------------------------------------------------------------

    async def _change(self, change: RemoteChange) -> None:
        ctx = self._ctx
        record_id = ctx.refs.get(change.remote_id)
        record = ctx.loaded[record_id].record if record_id in ctx.loaded else None
        if change.deleted or change.record is None:
            if record is not None:
                # Deletes are not mirrored: a ticket deleted in one tool stays in the others.
                self._audit("remote.deleted", record.id, {"remote_id": change.remote_id})
            return
        if record is None and change.marker:
            adopted = await self._adopt(change)
            if adopted:
                return
        if record is None:
            await self._create(change)
            return
        if change.record.kind is not record.kind:
            self._kind_changed(record, change)
            return
        base = ctx.bases.get(record.id, {}).get(self.system)
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
        await self._merge(record, self._settled(record.id, base, change), change)

    def _settled(self, record_id: str, base: Base | None, change: RemoteChange) -> Base | None:
        """The base, with the fields our unconfirmed writes sent and the system now holds
        taken as agreed: they are our own writes coming back (their commit was lost)."""
        rows = self._ctx.sent_updates.get(record_id, [])
        if base is None or not rows or change.record is None:
            return base
        pulled = sync_fields(change.record, self.hub.fields_of(self.system))
        fields = dict(base.fields)
        for row in rows:
            fields = agreed(fields, pulled, row)
        return base.model_copy(update={"fields": fields})

    async def _merge(self, record: AnyRecordType, base: Base | None, change: RemoteChange) -> None:
        assert change.record is not None
        pulled = sync_fields(change.record, self.hub.fields_of(self.system))
        hub_fields = sync_fields(record)
        result = merge(
            hub_fields,
            base.fields if base is not None else None,
            pulled,
            system=self.system,
            changed_at=change.changed_at,
            holders=self._holders(record, hub_fields, pulled),
            policy=self.hub.config.sync,
        )
        for conflict in result.conflicts:
            self.stats.conflicts += 1
            self._audit(
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
        updated = with_fields(record, result.fields) if result.changed else record.model_copy()
        # People and devices have no comments (only tickets do).
        pulled_comments = getattr(change.record, "comments", [])
        new_comments, edited = merge_comments(updated, pulled_comments, self.system)
        added, removed = self._merge_links(updated, change, base)
        self._history(record, result.changed, hub_fields, result.fields, change.changed_at)
        moved = bool(result.changed or new_comments or edited or added or removed)
        if moved:
            updated.updated_at = self.now
            self._put(updated, same_text=not TEXT_FIELDS.intersection(result.changed))
        held_links = self._held_links(updated, change, base)
        self._put_base(updated.id, pulled, change, base, links=held_links)
        if moved:
            self.stats.updated += 1
            self._audit(
                "record.updated",
                updated.id,
                {
                    "fields": result.changed,
                    "comments_added": len(new_comments),
                    "comments_edited": len(edited),
                    "links_added": len(added),
                    "links_removed": len(removed),
                },
            )
        else:
            self.stats.unchanged += 1
        await self.fanout.propagate(updated, self._bases_of(updated.id), source=self.system)
        await self._send_comments(updated, new_comments, edited)
        await self._send_links(updated, added, removed)

    def _holders(
        self, record: AnyRecordType, hub_fields: dict[str, JsonValue], pulled: dict[str, JsonValue]
    ) -> dict[str, list[Holder]]:
        held = self._ctx.bases.get(record.id, {})
        others = [b for system, b in held.items() if system != self.system]
        return {
            name: [
                Holder(b.system, b.remote_updated_at)
                for b in others
                if same(b.fields.get(name), hub_fields.get(name))
            ]
            for name in pulled
        }

    async def _create(self, change: RemoteChange) -> None:
        """A record the hub has never seen: keep it and route copies where rules say."""
        assert change.record is not None
        ctx = self._ctx
        # The hub names its records itself, whatever id a connector's mapping left.
        update: dict[str, Any] = {"id": new_id(), "links": []}
        if change.record.ref_for(self.system) is None:
            ref = ExternalRef(system=self.system, remote_id=change.remote_id)
            update["refs"] = [*change.record.refs, ref]
        record = change.record.model_copy(update=update)
        ctx.refs[change.remote_id] = record.id
        ctx.new_here.add(change.remote_id)
        added, _ = self._merge_links(record, change, None)
        fields = sync_fields(record)
        self._history(record, list(HISTORY_FIELDS), {}, fields, change.changed_at)
        self._put(record, new=True)
        pulled = restrict(fields, self.hub.fields_of(self.system))
        self._put_base(
            record.id, pulled, change, None, links=self._held_links(record, change, None)
        )
        self.stats.created += 1
        routes = self.hub.router.routes_for(record, self.system, self.now)
        self._audit(
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
            self._audit(
                "record.not_routed",
                record.id,
                {"why": "no routing rule matched", "rules": considered},
            )
        for route in routes:
            await self.fanout.queue_create(
                route.target, record, rule=route.rule, options=route.options
            )
        await self._send_links(record, added, [])

    async def _adopt(self, change: RemoteChange) -> bool:
        """A record carrying one of our markers is our copy: link it, then merge it
        three-way against what the create sent (edits made there since are kept)."""
        assert change.marker is not None and change.record is not None
        ctx = self._ctx
        intent = ctx.intents.get(change.marker)
        if intent is None or intent.record_id not in ctx.loaded:
            return False
        record = ctx.loaded[intent.record_id].record
        ref = change.record.ref_for(self.system) or ExternalRef(
            system=self.system, remote_id=change.remote_id
        )
        first = not record.refs  # the hub made it: its create's answer was lost
        record = record.model_copy(update={"refs": [*record.refs, ref]})
        ctx.refs[change.remote_id] = record.id
        self.writes.refs[record.id, self.system] = ref
        sent = intent.sent if isinstance(intent.sent, dict) else None
        held = sync_fields(change.record, self.hub.fields_of(self.system))
        base = Base(
            record_id=record.id,
            system=self.system,
            # What we sent is what the copy held when it was made (by whichever attempt
            # landed); without it (a row from before 0004), the copy as it is now.
            fields=agreed(sent, held, intent) if sent is not None else held,
            agreed_at=self.now,
            links=[],
        )
        ctx.bases.setdefault(record.id, {})[self.system] = base
        self.writes.completed.append(intent.id)
        self._audit("record.adopted", record.id, {"remote_id": change.remote_id})
        await self._merge(record, base, change)
        current = self._current(record.id)
        await self.fanout.send_everything(current, self.system)
        self.copies.append(NewCopy(current, ref, first=first))
        if first:
            self.writes.origins[record.id] = ref
        return True

    # --- comments --------------------------------------------------------------------

    async def _comments(self, item: RemoteComments) -> None:
        ctx = self._ctx
        record_id = ctx.refs.get(item.remote_id)
        if record_id is None or record_id not in ctx.loaded:
            # The record is not here yet (another stream brings it): wait for it.
            self.writes.parked.append(
                {
                    "connector": self.system,
                    "awaits": item.remote_id,
                    "record_id": None,
                    "payload": {"comments": item.model_dump(mode="json")},
                    "parked_at": self.now,
                }
            )
            self.stats.parked += 1
            return
        record = self._current(record_id).model_copy()
        new, edited = merge_comments(record, list(item.comments), self.system)
        if not new and not edited:
            self.stats.unchanged += 1
            return
        self.stats.updated += 1
        record.updated_at = self.now
        self._put(record, same_text=True)
        self._audit(
            "record.updated",
            record.id,
            {"fields": [], "comments_added": len(new), "comments_edited": len(edited)},
        )
        await self._send_comments(record, new, edited)

    async def _send_comments(
        self, record: AnyRecordType, new: list[Comment], edited: list[Comment]
    ) -> None:
        for target in self.fanout.receivers(record, self.system):
            for comment in new:
                await self.fanout.comment(target, record, comment.id)
            for comment in edited:
                if any(ref.system == target for ref in comment.refs):
                    await self.fanout.comment(target, record, comment.id, edit=True)

    # --- bookkeeping -----------------------------------------------------------------

    @property
    def _ctx(self) -> PageContext:
        assert self.ctx is not None
        return self.ctx

    def _current(self, record_id: str) -> AnyRecordType:
        writes = self.writes
        if record_id in writes.changed_records:
            return writes.changed_records[record_id]
        if record_id in writes.new_records:
            return writes.new_records[record_id]
        return self._ctx.loaded[record_id].record


def agreed(
    fields: dict[str, JsonValue], held: dict[str, JsonValue], row: OutboxItem
) -> dict[str, JsonValue]:
    """``fields`` (a base), with each field the system holds taken as agreed where it is
    what an attempt of ``row`` sent: any attempt whose answer was lost may have landed,
    the last or an earlier one that sent other values (the record changed in between)."""
    fields = dict(fields)
    for sent in (row.sent, *(row.sent_earlier or [])):
        for name, value in (sent if isinstance(sent, dict) else {}).items():
            if name in held and same(held[name], value):
                fields[name] = value
    return fields


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


__all__ = ["HISTORY_FIELDS", "PageApplier", "PageItem", "PullStats"]
