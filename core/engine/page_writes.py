"""What a page writes as it is applied: records, their bases, field history, audit
entries and dead letters, kept in the page's :class:`~itsmhub.store.Writes` (flushed
by the caller) and in its context, so later items of the page see them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from ..exchange import RejectedRecord, RemoteChange
from ..model import AnyRecordType
from ..store import Base, DeadLetterIn, Loaded, Writes
from .page_context import PageContext, PullStats

#: Fields whose changes are kept as history, for reports (MTTA, reopens, reassignments).
HISTORY_FIELDS = ("status", "assignment_group", "assignee", "priority")


class PageWrites:
    """The writing half of :class:`~itsmhub.engine.page.PageApplier`."""

    system: str
    now: datetime
    writes: Writes
    stats: PullStats

    if TYPE_CHECKING:  # the applier's own

        @property
        def _ctx(self) -> PageContext: ...

    def _put(self, record: AnyRecordType, *, new: bool = False, same_text: bool = False) -> None:
        self.writes.put_record(record, new=new, same_text=same_text)
        if not new:
            loaded = self._ctx.loaded.get(record.id)
            self._ctx.loaded[record.id] = Loaded(record, loaded.version if loaded else 0)
        else:
            self._ctx.loaded[record.id] = Loaded(record, 0)

    def _bases_of(self, record_id: str) -> dict[str, Base | None]:
        return dict(self._ctx.bases.get(record_id, {}))

    def _put_base(
        self,
        record_id: str,
        fields: dict[str, JsonValue],
        change: RemoteChange,
        base: Base | None,
        *,
        links: list[tuple[str, str]],
    ) -> None:
        # Built from values the engine made and validated already: a page makes one per
        # record, and validating ``fields`` again (JSON all the way down) is costly.
        new = Base.model_construct(
            record_id=record_id,
            system=self.system,
            fields=fields,
            remote_version=change.version,
            remote_updated_at=change.changed_at,
            agreed_at=self.now,
            links=links,
        )
        self._ctx.bases.setdefault(record_id, {})[self.system] = new
        self.writes.bases[record_id, self.system] = new

    def _history(
        self,
        record: AnyRecordType,
        names: list[str],
        old: dict[str, JsonValue],
        new: dict[str, JsonValue],
        at: datetime,
    ) -> None:
        for name in names:
            if name in HISTORY_FIELDS and name in new and old.get(name) != new.get(name):
                self.writes.history.append(
                    {
                        "record_id": record.id,
                        "field": name,
                        "old": old.get(name),
                        "new": new.get(name),
                        "system": self.system,
                        "at": at,
                    }
                )

    def _audit(self, event: str, record_id: str | None, detail: dict[str, JsonValue]) -> None:
        self.writes.add_audit(event, record_id=record_id, connector=self.system, detail=detail)

    def _kind_changed(self, record: AnyRecordType, change: RemoteChange) -> None:
        """A ticket whose type changed in its tool (a Zendesk incident made a problem).
        The hub cannot turn its copies elsewhere into another kind, so the change waits in
        the dead-letter list, saying so, instead of being merged into the wrong kind."""
        assert change.record is not None
        was, now = record.kind.value, change.record.kind.value
        self._dead_letter(
            now,
            change.remote_id,
            change.version,
            f"it was {_article(was)} {was} and is now {_article(now)} {now} in {self.system}: "
            f"the hub keeps it as {_article(was)} {was}; to track it as {_article(now)} {now}, "
            f"file a new {now} (the rules can link the two), then drop this dead letter",
            error_class="KindChanged",
        )

    def _reject(self, rejected: RejectedRecord) -> None:
        """A record the connector could not read: dead-lettered with its reason."""
        self._dead_letter(
            rejected.kind.value,
            rejected.remote_id or "?",
            rejected.version or "",
            rejected.reason,
            error_class=rejected.error_class,
            excerpt=rejected.excerpt,
        )

    def _dead_letter(
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
        self.writes.dead_letters.append(
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
        self._audit("error.record", None, {"remote_id": remote_id, "reason": reason})


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
