"""A page's links and parked items: links resolved through the store or earlier in the
page, merged against the links the system last held (so a link removed there is removed
everywhere), and, while their target is not in the hub yet, parked until it arrives,
with comments read before their ticket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from ..connector import Connector
from ..exchange import RemoteChange, RemoteComments
from ..model import AnyRecordType, Link, LinkKind
from ..store import Base, Loaded, StoreTransaction, Writes
from .fanout import Fanout
from .page_context import PageContext, PageItem


class PageLinks:
    """The links and parking half of :class:`~itsmhub.engine.page.PageApplier`."""

    system: str
    tx: StoreTransaction
    now: datetime
    writes: Writes
    fanout: Fanout
    connector: Connector

    if TYPE_CHECKING:  # the applier's own, which these steps use

        @property
        def _ctx(self) -> PageContext: ...

        def _current(self, record_id: str) -> AnyRecordType: ...

        def _put(
            self, record: AnyRecordType, *, new: bool = False, same_text: bool = False
        ) -> None: ...

        def _audit(
            self, event: str, record_id: str | None, detail: dict[str, JsonValue]
        ) -> None: ...

        async def _comments(self, item: RemoteComments) -> None: ...

    async def _link_targets(
        self, changes: list[RemoteChange], loaded: dict[str, Loaded]
    ) -> dict[tuple[str, str], str]:
        wanted: dict[str, set[str]] = {}
        for change in changes:
            for link in change.record.links if change.record is not None else []:
                if link.target_ref is not None:
                    ref = link.target_ref
                    wanted.setdefault(ref.system, set()).add(ref.remote_id)
        found: dict[tuple[str, str], str] = {}
        for system, remote_ids in wanted.items():
            for remote_id, record_id in (await self.tx.records_by_refs(system, remote_ids)).items():
                found[system, remote_id] = record_id
        return found

    async def _unpark(self, items: Sequence[PageItem]) -> None:
        """Apply what waited for the records this page created."""
        ctx = self._ctx
        waiting = [p for remote_id in sorted(ctx.new_here) for p in ctx.parked.get(remote_id, [])]
        sources = {p.record_id for p in waiting if p.record_id and p.record_id not in ctx.loaded}
        if sources:
            ctx.loaded.update(await self.tx.load_records(sources, lock=True))
            for (record_id, system), base in (await self.tx.load_bases(sources)).items():
                ctx.bases.setdefault(record_id, {})[system] = base
        for parked in waiting:
            self.writes.unparked.append(parked.id)
            payload = parked.payload
            if "comments" in payload:
                await self._comments(RemoteComments.model_validate(payload["comments"]))
            elif "link" in payload and parked.record_id in ctx.loaded:
                await self._parked_link(parked.record_id, payload, ctx.refs[parked.awaits])
        await self._unpark_in_page()

    async def _unpark_in_page(self) -> None:
        """What this page parked for a record it went on to create (a report read before
        its manager, comments before their ticket): applied now, never stored."""
        ctx = self._ctx
        arrived = [
            p
            for p in self.writes.parked
            if p["connector"] == self.system and p["awaits"] in ctx.new_here
        ]
        if not arrived:
            return
        applied = {id(p) for p in arrived}
        self.writes.parked = [p for p in self.writes.parked if id(p) not in applied]
        for parked in arrived:
            payload = parked["payload"]
            if "comments" in payload:
                await self._comments(RemoteComments.model_validate(payload["comments"]))
            elif "link" in payload and parked["record_id"] is not None:
                await self._parked_link(parked["record_id"], payload, ctx.refs[parked["awaits"]])

    async def _parked_link(self, source_id: str, payload: dict[str, Any], target: str) -> None:
        record = self._current(source_id).model_copy()
        link = Link(kind=LinkKind(str(payload["link"])), target_id=target, origin=self.system)
        if any(k.kind is link.kind and k.target_id == target for k in record.links):
            return
        record.links = [*record.links, link]
        self.writes.links_added.append((record.id, link))
        self._put(record, same_text=True)
        await self._send_links(record, [link], [])

    # --- links -----------------------------------------------------------------------

    def _merge_links(
        self, record: AnyRecordType, change: RemoteChange, base: Base | None
    ) -> tuple[list[Link], list[Link]]:
        """Fold the system's links into ``record``; return (added, removed)."""
        ctx = self._ctx
        pulled = dict.fromkeys(pulled_pairs(change, ctx.targets, self.system, ctx.refs))
        self._park_unresolved(record, change)
        held = {(k.kind.value, k.target_id) for k in record.links}
        kinds = self.connector.link_kinds
        added: list[Link] = []
        for kind, target in pulled:
            if (kind, target) in held or target == record.id:
                continue
            link = Link(kind=LinkKind(kind), target_id=target, origin=self.system)
            added.append(link)
            if (record.id, target, kind) in ctx.tombstones:
                # A person linked them again after removing the link: that wins.
                self.writes.tombstones_cleared.append((record.id, target, kind))
        removed: list[Link] = []
        agreed = {tuple(pair) for pair in base.links} if base is not None and base.links else set()
        if change.links_complete and base is not None and base.links is not None:
            for kind, target in sorted(agreed - set(pulled)):
                if kinds and LinkKind(kind) not in kinds:
                    continue
                gone = next(
                    (k for k in record.links if k.kind.value == kind and k.target_id == target),
                    None,
                )
                if gone is not None:
                    removed.append(gone)
                    self.writes.links_removed.append((record.id, target, kind))
                    self.writes.tombstones.append((record.id, target, kind, self.system))
        if added or removed:
            gone_keys = {(k.kind, k.target_id) for k in removed}
            record.links = [
                k for k in record.links if (k.kind, k.target_id) not in gone_keys
            ] + added
            self.writes.links_added += [(record.id, link) for link in added]
        return added, removed

    def _park_unresolved(self, record: AnyRecordType, change: RemoteChange) -> None:
        assert change.record is not None
        for link in change.record.links:
            ref = link.target_ref
            if ref is None or (ref.system, ref.remote_id) in self._ctx.targets:
                continue
            if ref.system == self.system and ref.remote_id in self._ctx.refs:
                continue
            self.writes.parked.append(
                {
                    "connector": ref.system,
                    "awaits": ref.remote_id,
                    "record_id": record.id,
                    "payload": {"link": link.kind.value},
                    "parked_at": self.now,
                }
            )
            self._audit(
                "link.unresolved",
                record.id,
                {"kind": link.kind.value, "target": ref.remote_id, "waits": True},
            )

    def _held_links(
        self, record: AnyRecordType, change: RemoteChange, base: Base | None
    ) -> list[tuple[str, str]]:
        """The links this system holds now, as the new base remembers them."""
        pulled = set(pulled_pairs(change, self._ctx.targets, self.system, self._ctx.refs))
        if change.links_complete or base is None or base.links is None:
            return sorted(pulled)
        return sorted(pulled | {tuple(p) for p in base.links})  # type: ignore[misc]

    async def _send_links(
        self, record: AnyRecordType, added: list[Link], removed: list[Link]
    ) -> None:
        for target in self.fanout.receivers(record, self.system):
            for link in added:
                await self.fanout.link(target, record, link)
            for link in removed:
                if link.target_id is not None:
                    await self.fanout.unlink(target, record, link.kind, link.target_id)


def pulled_pairs(
    change: RemoteChange,
    targets: dict[tuple[str, str], str],
    system: str,
    refs: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """The (kind, target hub id) of a pulled record's links that resolve: through the
    store, or (``refs``) to a record of the same system met earlier in the page."""
    pairs = []
    for link in change.record.links if change.record is not None else []:
        target = link.target_id
        ref = link.target_ref
        if ref is not None:
            target = targets.get((ref.system, ref.remote_id))
            if target is None and refs is not None and ref.system == system:
                target = refs.get(ref.remote_id)
        if target is not None:
            pairs.append((link.kind.value, target))
    return pairs
