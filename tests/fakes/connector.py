"""The ``fake`` connector: a complete Connector over a :class:`~fakes.remote.FakeRemote`.

The engine's tests run against it as against any vendor: it is configured by a
``[connectors.<name>]`` table (``type = "fake"``), loaded as a plugin
(``ITSMHUB_PLUGIN_MODULES=fakes.plugin``), and imports only ``itsmhub``'s public API.
``remote`` names a FakeRemote registered in :data:`REMOTES` (in-process tests) or the path
of its JSON file (a CLI or daemon in a subprocess).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, ValidationError

from itsmhub import (
    AnyRecord,
    AnyTicket,
    CheckItem,
    Checkpoint,
    CheckResult,
    Comment,
    ConfigError,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    Cursor,
    ExternalRef,
    FatalError,
    FieldChanges,
    Incident,
    KnownError,
    Link,
    LinkKind,
    PersonRef,
    Problem,
    PullItem,
    PullRequest,
    RecordError,
    RecordKind,
    RejectedRecord,
    RemoteChange,
    RemoteVersion,
)

from .remote import (
    FOOTER,
    INTEGRATION_USER,
    NOT_FIELDS,
    TICKET_KINDS,
    FakeRemote,
    RemoteComment,
    RemoteRecord,
    describe,
)

REMOTES: dict[str, FakeRemote] = {}
"""In-process remotes by name; a ``remote`` setting found here is used instead of a file."""

_MODELS: dict[RecordKind, type[AnyTicket]] = {
    RecordKind.INCIDENT: Incident,
    RecordKind.PROBLEM: Problem,
    RecordKind.KNOWN_ERROR: KnownError,
}
_AUTHOR_LINE = re.compile(r"\n\n— (?P<name>.+) \(via itsmhub\)\Z")


class FakeSettings(ConnectorSettings):
    """``[connectors.<name>]`` of type ``fake``."""

    type: Literal["fake"] = Field("fake", description="the connector kind")
    remote: str = Field(
        min_length=1,
        description="a name registered in fakes.connector.REMOTES, else a FakeRemote JSON file",
    )
    page_size: int = Field(50, ge=1, description="records per pull page")
    fields: list[str] | None = Field(
        None, description="the only neutral fields this tool can store (None: all)"
    )


def comment_text(comment: Comment) -> str:
    """The body the connector writes remotely: the original author named, then the marker."""
    author = (comment.author.display_name or comment.author.email) if comment.author else None
    signed = f"{comment.body}\n\n— {author} (via itsmhub)" if author else comment.body
    return f"{signed}\n\n[itsmhub:{comment.id}]"


class FakeConnector(Connector):
    """Incidents, problems and known errors in a FakeRemote."""

    kind: ClassVar[str] = "fake"
    title: ClassVar[str] = "Fake ticketing tool (tests)"
    settings_model: ClassVar[type[ConnectorSettings]] = FakeSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = TICKET_KINDS
    link_kinds: ClassVar[frozenset[LinkKind]] = frozenset(LinkKind)

    def __init__(self, name: str, settings: ConnectorSettings, context: ConnectorContext) -> None:
        super().__init__(name, settings, context)
        if not isinstance(settings, FakeSettings):
            raise FatalError(f"{name}: expected FakeSettings, got {type(settings).__name__}")
        self.page_size = settings.page_size
        if settings.fields is not None:
            self.synced_fields = frozenset(settings.fields)
        if settings.remote in REMOTES:
            self.remote = REMOTES[settings.remote]
        else:
            self.remote = self._open(settings.remote)

    def _open(self, path: str) -> FakeRemote:
        try:
            return FakeRemote.open(Path(path))
        except OSError as exc:
            raise ConfigError(
                f"cannot open the fake remote {path!r} ({type(exc).__name__})",
                key=f"connectors.{self.name}.remote",
                fix="register the name in fakes.connector.REMOTES or give a writable file path",
            ) from None

    async def check(self) -> CheckResult:
        held = self.remote.ping()
        item = CheckItem(name="remote", ok=True, detail=f"reachable, {held} records")
        return CheckResult(connector=self.name, items=(item,))

    async def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        """Keyset pages by (updated_at, remote_id), from the cursor's watermark inclusive
        (the boundary is re-read; the engine de-duplicates it) or from ``since``."""
        cursor = request.cursor
        since = cursor.watermark if cursor and cursor.watermark else request.since
        after: tuple[datetime, str] | None = None
        boundary: datetime | None = None
        seen: set[tuple[str, str]] = set()
        items = pages = 0
        faults = self.remote.faults
        while True:
            page = self.remote.list_changed(
                request.kind, since=since, limit=self.page_size, after=after, until=request.until
            )
            if not page:
                return
            for record in page:
                yield self._pulled(record)
                items += 1
                faults.reached(f"pull:page:{items}")
            last = page[-1]
            if last.updated_at != boundary:
                boundary, seen = last.updated_at, set()
            # A boundary timestamp may span pages: keep every version seen at it.
            seen |= {(r.remote_id, str(r.version)) for r in page if r.updated_at == boundary}
            yield Checkpoint(cursor=Cursor(watermark=boundary, seen=frozenset(seen)))
            items, pages = items + 1, pages + 1
            faults.reached(f"pull:page:{items}", f"pull:checkpoint:{pages}")
            if len(page) < self.page_size:
                return
            after = (last.updated_at, last.remote_id)

    async def fetch(self, kind: RecordKind, remote_id: str) -> RemoteChange | None:
        record = self.remote.get(remote_id)
        if record is None or record.kind != kind:
            return None
        return self._readable(record)

    async def find_by_marker(self, kind: RecordKind, marker: str) -> list[RemoteChange]:
        return [self._readable(r) for r in self.remote.find_by_marker(kind, marker)]

    async def create(self, record: AnyRecord, *, marker: str) -> RemoteChange:
        if record.kind not in self.record_kinds:
            raise RecordError(f"the fake connector holds no {record.kind} records")
        fields = record.model_dump(mode="json", exclude=set(NOT_FIELDS))
        if self.synced_fields is not None:  # a tool with fewer fields drops the others
            fields = {k: v for k, v in fields.items() if k in self.synced_fields or k == "title"}
        # Comments and links are not written here: they go through add_comment and link.
        return self._readable(self.remote.create(record.kind, fields, marker=marker))

    async def update(self, ref: ExternalRef, changes: FieldChanges) -> RemoteVersion:
        """A conditional write: RemoteChanged if a field no longer holds its ``old`` value."""
        self._mine(ref)
        record = self.remote.update(
            ref.remote_id,
            {change.field: change.new for change in changes.changes},
            expected={change.field: change.old for change in changes.changes},
        )
        return RemoteVersion(version=str(record.version), updated_at=record.updated_at)

    async def add_comment(self, ref: ExternalRef, comment: Comment, *, marker: str) -> ExternalRef:
        """Append ``comment`` with a ``[itsmhub:<comment.id>]`` footer, which is what a
        retry looks for; ``marker`` is not written (the comment id already identifies it)."""
        self._mine(ref)
        written = self.remote.add_comment(
            ref.remote_id, comment_text(comment), visibility=comment.visibility
        )
        return ExternalRef(system=self.name, remote_id=written.remote_id)

    async def update_comment(self, ref: ExternalRef, comment: Comment) -> None:
        """Rewrite this system's copy of ``comment``, named by its ref in ``comment.refs``."""
        self._mine(ref)
        copy = next((r for r in comment.refs if r.system == self.name), None)
        if copy is None:
            raise RecordError(f"comment {comment.id} has no copy in {self.name}")
        self.remote.update_comment(ref.remote_id, copy.remote_id, comment_text(comment))

    async def link(self, ref: ExternalRef, target: ExternalRef, kind: LinkKind) -> None:
        self._mine(ref)
        here = target.system == self.name
        where = target.remote_id if here else f"{target.system}:{target.remote_id}"
        self.remote.link(ref.remote_id, str(kind), where)

    # --- mapping -------------------------------------------------------------------------

    @staticmethod
    def pulled_id(ref: ExternalRef) -> str:
        """The deterministic id a pulled record gets: ``<system>:<remote_id>``."""
        return f"{ref.system}:{ref.remote_id}"

    def _mine(self, ref: ExternalRef) -> None:
        if ref.system != self.name:
            raise FatalError(f"connector {self.name!r} was given a ref of {ref.system!r}")

    def _pulled(self, record: RemoteRecord) -> RemoteChange | RejectedRecord:
        try:
            return self._change(record)
        except ValidationError as exc:
            return RejectedRecord(
                kind=record.kind,
                remote_id=record.remote_id,
                version=str(record.version),
                reason=f"cannot map {record.key}: {describe(exc)}",
                excerpt={"key": record.key, "fields": sorted(record.fields)},
            )

    def _readable(self, record: RemoteRecord) -> RemoteChange:
        try:
            return self._change(record)
        except ValidationError as exc:
            raise RecordError(
                f"cannot map {record.key}: {describe(exc)}", remote_id=record.remote_id
            ) from None

    def _change(self, record: RemoteRecord) -> RemoteChange:
        return RemoteChange(
            kind=record.kind,
            remote_id=record.remote_id,
            version=str(record.version),
            changed_at=record.updated_at,
            record=None if record.deleted else self.to_neutral(record),
            deleted=record.deleted,
            marker=record.marker,
            links_complete=True,
        )

    def to_neutral(self, record: RemoteRecord) -> AnyTicket:
        """Map a remote record to its neutral model; ValidationError if it cannot be."""
        ref = ExternalRef(system=self.name, remote_id=record.remote_id, key=record.key)
        links = [
            # The engine resolves a target's ref to its hub record.
            Link(kind=kind, target_ref=self._target(target), origin=self.name)
            for kind, target in record.links
        ]
        return _MODELS[record.kind].model_validate(
            {
                **record.fields,
                "id": self.pulled_id(ref),
                "refs": [ref],
                "links": links,
                "comments": [self._comment(c) for c in record.comments],
                "created_at": record.created_at,
                "updated_at": record.updated_at,
            }
        )

    def _target(self, target: str) -> ExternalRef:
        system, _, remote_id = target.rpartition(":")  # "system:remote_id" when foreign
        return ExternalRef(system=system or self.name, remote_id=remote_id)

    def _comment(self, comment: RemoteComment) -> Comment:
        body, author, hub_id = comment.body, comment.author, comment.hub_id
        if hub_id is not None:
            # Our own copy: strip what we added, and credit the author it names.
            body = FOOTER.sub("", body)
            line = _AUTHOR_LINE.search(body)
            author = line["name"] if line else INTEGRATION_USER
            body = body[: line.start()] if line else body
        return Comment(
            id=hub_id or f"{self.name}:{comment.remote_id}",
            body=body,
            visibility=comment.visibility,
            author=PersonRef(display_name=author),
            created_at=comment.created_at,
            updated_at=comment.updated_at,
            refs=[ExternalRef(system=self.name, remote_id=comment.remote_id)],
        )
