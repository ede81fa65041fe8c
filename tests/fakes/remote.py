"""An in-memory vendor for the fake connector: its own ids, versions, clock, markers and
comment journal. Tests act in it as a person would and break it through :class:`Faults`.

Opened on a JSON file, each mutation is written atomically before it returns, so a process
killed with SIGKILL leaves the remote's true state on disk. Processes may share the file:
writes hold an ``flock``, and every operation re-reads the file if another writer replaced it.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError
from pydantic_core import to_jsonable_python

import itsmhub
from itsmhub import RECORD_TYPES, RecordError, RecordKind, RemoteChanged, UtcDateTime, Visibility

from .faults import Faults

TICKET_KINDS = frozenset({RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR})
# Neutral model attributes that are no vendor fields: the remote keeps these itself.
NOT_FIELDS = frozenset({"id", "refs", "links", "comments", "kind", "created_at", "updated_at"})
FOOTER = re.compile(r"\n\n\[itsmhub:(?P<id>[^\]\s]+)\]\s*\Z")  # ends every comment we write
INTEGRATION_USER = "itsmhub"  # the account the connector writes with
_KEY_PREFIX = {RecordKind.INCIDENT: "INC", RecordKind.PROBLEM: "PRB", RecordKind.KNOWN_ERROR: "KE"}
_UNREADABLE = "\ufffdunreadable"  # a status no neutral enum knows, so mapping fails
Fields = dict[str, JsonValue]


@dataclass
class FakeClock:
    """The remote's clock. Each mutation ticks it by ``step`` (1 s by default), so changes
    get distinct, ordered timestamps; ``step=timedelta(0)`` makes them collide on purpose."""

    current: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    step: timedelta = timedelta(seconds=1)

    def now(self) -> datetime:
        return self.current

    def tick(self) -> datetime:
        self.current += self.step
        return self.current

    def set(self, when: datetime) -> None:
        """Jump to ``when``; going back is allowed (a late-committing vendor transaction)."""
        self.current = itsmhub.ensure_utc(when)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RemoteComment(_Model):
    """One entry of a record's journal, as the vendor stores it."""

    remote_id: str
    body: str
    visibility: Visibility = Visibility.PUBLIC
    author: str
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @property
    def hub_id(self) -> str | None:
        """The hub comment id from the ``[itsmhub:<id>]`` footer, if the hub wrote it."""
        match = FOOTER.search(self.body)
        return match["id"] if match else None


class RemoteRecord(_Model):
    """A ticket as the vendor holds it; ``fields`` are neutral values in JSON form."""

    remote_id: str
    kind: RecordKind
    version: int = 1
    created_at: UtcDateTime
    updated_at: UtcDateTime
    fields: Fields = Field(default_factory=dict)
    marker: str | None = None
    comments: list[RemoteComment] = Field(default_factory=list)
    # (link kind, target): a remote_id here, or "system:remote_id" in another system.
    links: list[tuple[str, str]] = Field(default_factory=list)
    deleted: bool = False

    @property
    def key(self) -> str:
        """The human key, e.g. ``INC-7`` for incident ``F-7``."""
        return f"{_KEY_PREFIX[self.kind]}-{self.remote_id.removeprefix('F-')}"


class _State(_Model):  # all the remote holds: what its JSON file says
    format: Literal[1] = 1
    now: UtcDateTime | None = None
    next_record: int = 1
    next_comment: int = 1
    records: dict[str, RemoteRecord] = Field(default_factory=dict)
    malformed: set[str] = Field(default_factory=set)


class FakeRemote:
    """An in-memory vendor; see the module docstring."""

    def __init__(
        self, clock: FakeClock | None = None, *, path: str | os.PathLike[str] | None = None
    ) -> None:
        self.clock = clock or FakeClock()
        self.path = Path(path) if path is not None else None
        self.calls: Counter[str] = Counter()
        self.faults = Faults(self._mark_malformed)
        self._state = _State()
        self._stamp: tuple[int, int, int] | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str], clock: FakeClock | None = None) -> FakeRemote:
        """Load the remote saved at ``path``, or start an empty one there."""
        remote = cls(clock, path=path)
        with remote._write():
            pass  # loads the file if it exists, writes it if not
        return remote

    @property
    def records(self) -> dict[str, RemoteRecord]:
        """The live records by remote_id, in creation order, re-read if another writer
        replaced the file (for assertions; the connector gets copies)."""
        self._refresh()
        return self._state.records

    # --- what the connector calls (counted, and subject to faults) -----------------------

    def ping(self) -> int:
        """Answer a connection check with the number of records held."""
        with self._op("ping"):
            return len(self._state.records)

    def list_changed(
        self,
        kind: RecordKind | str,
        since: datetime | None = None,
        limit: int = 50,
        after: tuple[datetime, str] | None = None,
        until: datetime | None = None,
    ) -> list[RemoteRecord]:
        """Records of ``kind`` (deleted ones too) with ``since <= updated_at < until`` and
        ``(updated_at, remote_id) > after``, in that keyset order, at most ``limit``."""
        with self._op("list_changed"):
            rows = [
                r
                for r in self._state.records.values()
                if r.kind == kind
                and (since is None or r.updated_at >= since)
                and (until is None or r.updated_at < until)
                and (after is None or (r.updated_at, r.remote_id) > after)
            ]
            rows.sort(key=lambda r: (r.updated_at, r.remote_id))
            return [self._serve(r) for r in rows[:limit]]

    def get(self, remote_id: str) -> RemoteRecord | None:
        with self._op("get"):
            record = self._state.records.get(remote_id)
            return self._serve(record) if record else None

    def find_by_marker(self, kind: RecordKind | str, marker: str) -> list[RemoteRecord]:
        """The records of ``kind`` carrying ``marker``, oldest first."""
        with self._op("find_by_marker"):
            return [
                self._serve(r)
                for r in self._state.records.values()
                if r.kind == kind and r.marker == marker
            ]

    def create(self, kind: RecordKind | str, fields: Fields, marker: str | None) -> RemoteRecord:
        """Create a record; refuses (RecordError, 400) fields the neutral model refuses."""
        with self._op("create", "create"):
            self._neutral(RecordKind(kind), fields)
            record = self._new(RecordKind(kind), fields, marker)
        return self._serve(record)

    def update(
        self, remote_id: str, fields: Fields, expected: Fields | None = None
    ) -> RemoteRecord:
        """Set absolute field values; the version moves only if a value really changed.

        With ``expected``, a conditional write: RemoteChanged, and nothing written, unless
        each named field still holds that value (compared as the neutral model reads it).
        """
        with self._op("update", "update"):
            record = self._live(remote_id)
            if expected:
                now = self._neutral(record.kind, record.fields)
                moved = sorted(name for name, old in expected.items() if now.get(name) != old)
                if moved:
                    raise RemoteChanged(f"{remote_id} changed since read: {', '.join(moved)}")
            self._neutral(record.kind, {**record.fields, **fields})
            self._set_fields(record, fields)
        return self._serve(record)

    def add_comment(
        self, remote_id: str, body: str, visibility: str = "public", author: str = INTEGRATION_USER
    ) -> RemoteComment:
        """Append a comment; never de-duplicated, as in every vendor."""
        with self._op("add_comment", "comment"):
            comment = self._append_comment(self._live(remote_id), body, visibility, author)
        return comment.model_copy(deep=True)

    def update_comment(self, remote_id: str, comment_id: str, body: str) -> RemoteComment:
        """Rewrite a comment's body (also what a person editing a comment does)."""
        with self._op("update_comment", "comment_update"):
            record = self._live(remote_id)
            found = [c for c in record.comments if c.remote_id == comment_id]
            if not found:
                raise RecordError(f"{remote_id} has no comment {comment_id}", status=404)
            if found[0].body != body:
                found[0].body = body
                found[0].updated_at = self._touch(record)
        return found[0].model_copy(deep=True)

    def link(self, remote_id: str, kind: str, target: str) -> RemoteRecord:
        """Link to ``target`` (a remote_id here, or ``system:remote_id`` elsewhere); linking
        twice is a no-op, as vendors refuse duplicate links."""
        with self._op("link", "link"):
            record = self._live(remote_id)
            if ":" not in target:
                self._live(target)
            if (kind, target) not in record.links:
                record.links.append((kind, target))
                self._touch(record)
        return self._serve(record)

    # --- what a person does in the tool (not counted, never failing, not validated) ------

    def add(self, kind: RecordKind | str, **fields: Any) -> RemoteRecord:
        """A record created by hand, without a marker; enums and datetimes are accepted."""
        with self._write():
            record = self._new(RecordKind(kind), to_jsonable_python(fields), None)
        return record.model_copy(deep=True)

    def edit(self, remote_id: str, **fields: Any) -> RemoteRecord:
        with self._write():
            record = self._live(remote_id)
            self._set_fields(record, to_jsonable_python(fields))
        return record.model_copy(deep=True)

    def comment(
        self, remote_id: str, body: str, visibility: str = "public", author: str = "Ada"
    ) -> RemoteComment:
        with self._write():
            comment = self._append_comment(self._live(remote_id), body, visibility, author)
        return comment.model_copy(deep=True)

    def delete(self, remote_id: str) -> RemoteRecord:
        """Delete by hand: the record stays as a tombstone, so a pull reports the deletion."""
        with self._write():
            record = self._live(remote_id)
            record.deleted = True
            self._touch(record)
        return record.model_copy(deep=True)

    def record(self, remote_id: str) -> RemoteRecord:
        """A copy of the record as stored (even if malformed); KeyError if unknown."""
        self._refresh()
        return self._state.records[remote_id].model_copy(deep=True)

    def records_of(self, kind: RecordKind | str | None = None) -> list[RemoteRecord]:
        """Copies of the records not deleted, in creation order, for assertions."""
        self._refresh()
        return [
            r.model_copy(deep=True)
            for r in self._state.records.values()
            if (kind is None or r.kind == kind) and not r.deleted
        ]

    # --- internals -----------------------------------------------------------------------

    @contextmanager
    def _op(self, op: str, write: str | None = None) -> Iterator[None]:
        """Count a call and apply its faults; a ``write`` is saved, with kill points just
        before it and just after it reached the file."""
        self.calls[op] += 1
        self._refresh()
        if write:
            self.faults.reached(f"{write}:before")
        self.faults.check("before", op)
        if write:
            with self._write():
                yield
            self.faults.reached(f"{write}:after")
        else:
            yield
        self.faults.check("after", op)

    def _serve(self, record: RemoteRecord) -> RemoteRecord:
        served = record.model_copy(deep=True)  # callers must not hold live state
        if record.remote_id in self._state.malformed:
            served.fields = {**served.fields, "status": _UNREADABLE}
        return served

    def _neutral(self, kind: RecordKind, fields: Fields) -> Fields:
        """``fields`` as the neutral model reads them; refused (400) as the vendor's schema
        would refuse them, before anything changes."""
        if reserved := sorted(NOT_FIELDS.intersection(fields)):
            raise RecordError(f"fields not writable: {', '.join(reserved)}", status=400)
        try:
            model = RECORD_TYPES[kind].model_validate(fields)
        except ValidationError as exc:
            raise RecordError(f"the remote refused: {describe(exc)}", status=400) from None
        return model.model_dump(mode="json", exclude=set(NOT_FIELDS))

    def _live(self, remote_id: str) -> RemoteRecord:
        record = self._state.records.get(remote_id)
        if record is None or record.deleted:
            raise RecordError(f"no record {remote_id}", remote_id=remote_id, status=404)
        return record

    def _touch(self, record: RemoteRecord) -> datetime:
        record.version += 1
        record.updated_at = self.clock.tick()
        return record.updated_at

    def _new(self, kind: RecordKind, fields: Fields, marker: str | None) -> RemoteRecord:
        now, rid = self.clock.tick(), f"F-{self._state.next_record}"
        self._state.next_record += 1
        self._state.records[rid] = RemoteRecord(
            remote_id=rid, kind=kind, created_at=now, updated_at=now, fields=fields, marker=marker
        )
        return self._state.records[rid]

    def _set_fields(self, record: RemoteRecord, fields: Fields) -> None:
        if any(record.fields.get(name) != value for name, value in fields.items()):
            record.fields = {**record.fields, **fields}
            self._touch(record)

    def _append_comment(
        self, record: RemoteRecord, body: str, visibility: str, author: str
    ) -> RemoteComment:
        now, rid = self._touch(record), f"C-{self._state.next_comment}"
        self._state.next_comment += 1
        record.comments.append(
            RemoteComment(remote_id=rid, body=body, author=author, created_at=now, updated_at=now)
        )
        record.comments[-1].visibility = Visibility(visibility)
        return record.comments[-1]

    def _mark_malformed(self, remote_id: str | None, broken: bool) -> None:
        with self._write():
            if remote_id is None:
                self._state.malformed.clear()
            elif broken:
                self._state.malformed.add(remote_id)
            else:
                self._state.malformed.discard(remote_id)

    @contextmanager
    def _write(self) -> Iterator[None]:
        """Hold the file lock, start from the file's current state, save it on success."""
        if self.path is None:
            yield
            return
        with open(f"{self.path}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released on close, and when the process dies
            self._refresh()
            yield
            self._state.now = self.clock.now()
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            # No fsync: SIGKILL keeps the page cache; power loss is not what tests simulate.
            tmp.write_text(self._state.model_dump_json(indent=1))
            os.replace(tmp, self.path)
            self._stamp = self._stat()

    def _refresh(self) -> None:
        """Re-read the file if someone else (another process or instance) replaced it."""
        if self.path is None or not self.path.exists() or self._stat() == self._stamp:
            return
        stamp, self._state = self._stat(), _State.model_validate_json(self.path.read_bytes())
        if self._state.now:  # never let another writer's later clock make our changes older
            self.clock.set(max(self.clock.now(), self._state.now))
        self._stamp = stamp

    def _stat(self) -> tuple[int, int, int]:
        st = os.stat(self.path)  # type: ignore[arg-type]
        return (st.st_ino, st.st_mtime_ns, st.st_size)


def describe(exc: ValidationError) -> str:
    """A validation error as ``field: message`` pairs, without the input values (they may
    hold personal data)."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors()
    )
