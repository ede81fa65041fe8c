"""Stand-ins for connectors in a plan: reads go to the vendor, writes are noted instead.

``sync --plan`` pushes the outbox through the real :class:`~itsmhub.engine.push.Pusher`,
so what it lists is what the pusher would send, decided by the same code (a link still
waiting for its target's copy is not listed; an update with nothing to change is not
either). A stand-in is a copy of the connector whose class overrides exactly the write
methods the real class implements, so ``capabilities()`` and every choice made from it
stay the same. Each write is noted and answered as the vendor would answer, with
placeholders for what only the vendor can know (a new record's id and key, its version).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..connector import Connector
from ..exchange import FieldChanges, RemoteChange, RemoteVersion, Write, WriteCreate, WriteOutcome
from ..model import AnyRecord, Comment, ExternalRef, LinkKind

#: A remote id a stand-in answers with: no vendor will ever give one like it.
PLACEHOLDER = "(new)"


@dataclass
class NotedWrite:
    """One write a stand-in received, as the pusher made it."""

    system: str
    operation: str
    record: AnyRecord | None = None
    ref: ExternalRef | None = None
    changes: FieldChanges | None = None
    comment: Comment | None = None
    target: ExternalRef | None = None
    link_kind: LinkKind | None = None


@dataclass
class Notebook:
    """Every write the stand-ins of one plan received, in the order they were made."""

    clock: Callable[[], datetime]
    writes: list[NotedWrite] = field(default_factory=list)

    def new_id(self) -> str:
        return f"{PLACEHOLDER} {len(self.writes)}"


def stand_in(connector: Connector, notebook: Notebook) -> Connector:
    """A copy of ``connector`` (sharing its HTTP client for reads) whose writes go to
    ``notebook``."""
    real = type(connector)
    implemented = set(real.capabilities())
    overrides = {name: method for name, method in _WRITES.items() if name in implemented}
    cls = type(f"Planned{real.__name__}", (real,), overrides)
    double = copy.copy(connector)
    double.__class__ = cls
    double.__dict__["_notebook"] = notebook
    return double


def _book(connector: Any) -> Notebook:
    notebook: Notebook = connector.__dict__["_notebook"]
    return notebook


async def _create(
    self: Connector, record: AnyRecord, *, marker: str, options: Any = None
) -> RemoteChange:
    return _created(self, record, marker)


def _created(connector: Connector, record: AnyRecord, marker: str) -> RemoteChange:
    book = _book(connector)
    remote_id = book.new_id()
    book.writes.append(NotedWrite(connector.name, "create", record=record))
    ref = ExternalRef(system=connector.name, remote_id=remote_id)
    copy_ = record.model_copy(update={"refs": [*record.refs, ref]})
    return RemoteChange(
        kind=record.kind,
        remote_id=remote_id,
        version=PLACEHOLDER,
        changed_at=book.clock(),
        record=copy_,
        marker=marker,
    )


async def _update(self: Connector, ref: ExternalRef, changes: FieldChanges) -> RemoteVersion:
    return _updated(self, ref, changes)


def _updated(connector: Connector, ref: ExternalRef, changes: FieldChanges) -> RemoteVersion:
    book = _book(connector)
    book.writes.append(NotedWrite(connector.name, "update", ref=ref, changes=changes))
    return RemoteVersion(version=PLACEHOLDER, updated_at=book.clock())


async def _write_many(self: Connector, writes: Sequence[Write]) -> list[WriteOutcome]:
    return [
        _created(self, w.record, w.marker)
        if isinstance(w, WriteCreate)
        else _updated(self, w.ref, w.changes)
        for w in writes
    ]


async def _add_comment(
    self: Connector, ref: ExternalRef, comment: Comment, *, marker: str
) -> ExternalRef:
    book = _book(self)
    remote_id = book.new_id()
    book.writes.append(NotedWrite(self.name, "comment", ref=ref, comment=comment))
    return ExternalRef(system=self.name, remote_id=remote_id)


async def _update_comment(self: Connector, ref: ExternalRef, comment: Comment) -> None:
    _book(self).writes.append(NotedWrite(self.name, "comment edit", ref=ref, comment=comment))


async def _link(self: Connector, ref: ExternalRef, target: ExternalRef, kind: LinkKind) -> None:
    _book(self).writes.append(NotedWrite(self.name, "link", ref=ref, target=target, link_kind=kind))


async def _unlink(self: Connector, ref: ExternalRef, target: ExternalRef, kind: LinkKind) -> None:
    _book(self).writes.append(
        NotedWrite(self.name, "unlink", ref=ref, target=target, link_kind=kind)
    )


_WRITES: dict[str, Callable[..., Any]] = {
    "create": _create,
    "update": _update,
    "write_many": _write_many,
    "add_comment": _add_comment,
    "update_comment": _update_comment,
    "link": _link,
    "unlink": _unlink,
}
