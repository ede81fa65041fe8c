"""A conformance suite every connector runs against its emulator, in-tree or third-party.

Subclass :class:`ConnectorConformance` in a test module and give it a ``conformance_target``
fixture that yields your :class:`ConformanceTarget`: a connector built against your
emulator, plus the few things a person does in the remote tool::

    from itsmhub.testing import ConformanceTarget, ConnectorConformance, RecordingSleep

    class AcmeTarget(ConformanceTarget):
        async def edit_remote(self, ref, **fields): emulator.edit(ref.remote_id, **fields)
        # ... comment_remote, remote_comment_texts, inject_rate_limit,
        # lose_next_create_response: see ConformanceTarget

    class TestAcmeConformance(ConnectorConformance):
        @pytest.fixture
        async def conformance_target(self):
            sleep = RecordingSleep()  # handed to your HTTP client's retries
            async with AcmeConnector("acme", settings, context, sleep=sleep) as connector:
                yield AcmeTarget(connector, page_size=3, sleep=sleep)

Needs pytest and anyio's pytest plugin (installed with anyio); the class brings its own
``anyio_backend`` fixture (asyncio). Each test gets a fresh target, as checks create
records freely. Wire :attr:`ConformanceTarget.sleep` into your HTTP retries
(``send_with_retries(..., sleep=...)``) so the 429 check proves the wait without waiting.
"""

from __future__ import annotations

import math
import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest
from pydantic import JsonValue

from . import (
    RECORD_TYPES,
    AnyRecord,
    Checkpoint,
    Comment,
    Connector,
    ExternalRef,
    FieldChange,
    FieldChanges,
    ItsmhubError,
    LinkKind,
    PersonRef,
    PullItem,
    PullRequest,
    RateLimited,
    RecordKind,
    RemoteChange,
    RemoteChanged,
    RemoteVersion,
    Visibility,
    Write,
    WriteCreate,
    WriteUpdate,
    new_id,
    utcnow,
)

__all__ = ["ConformanceTarget", "ConnectorConformance", "RecordingSleep", "serve"]

# Fields compared to prove an update touched only what it was asked to.
_BOOKKEEPING = frozenset({"id", "kind", "refs", "links", "comments", "created_at", "updated_at"})


class RecordingSleep:
    """An async ``sleep`` that records the requested seconds and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class ConformanceTarget(ABC):
    """What the suite needs from a plugin's tests: a connector on an emulator, and the
    actions a person would take in the remote tool (implemented over the emulator)."""

    kinds: Sequence[RecordKind] = (RecordKind.INCIDENT,)
    """Record kinds every check runs for."""
    link_case: tuple[RecordKind, RecordKind, LinkKind] | None = (
        RecordKind.INCIDENT,
        RecordKind.PROBLEM,
        LinkKind.CAUSED_BY,
    )
    """A (source kind, target kind, link kind) the connector can store, if it links."""
    retries_rate_limits: bool = True
    """True: a 429 is waited out inside the call (through ``sleep``). False: the connector
    raises ``RateLimited`` carrying the vendor's wait, and the engine reschedules."""

    def __init__(
        self, connector: Connector, *, page_size: int, sleep: RecordingSleep | None = None
    ) -> None:
        self.connector = connector
        self.page_size = page_size
        """Records per pull page, as the connector was configured."""
        self.sleep = sleep or RecordingSleep()
        """The sleep wired into the connector's HTTP retries, so no test really waits."""

    def make_record(self, kind: RecordKind, title: str) -> AnyRecord:
        """A new record of ``kind`` valid for this connector (override to add fields)."""
        return RECORD_TYPES[kind](title=title)

    def new_values(self, kind: RecordKind) -> Mapping[str, JsonValue]:
        """Per field, a value different from :meth:`make_record`'s, written one at a time."""
        # Known errors: "retired" needs nothing else ("published" needs a workaround).
        status = {RecordKind.INCIDENT: "in_progress", RecordKind.PROBLEM: "assess"}.get(
            kind, "retired"
        )
        return {"title": "renamed by the suite", "status": status, "description": "new text"}

    @abstractmethod
    async def edit_remote(self, ref: ExternalRef, **fields: Any) -> None:
        """Change neutral ``fields`` of the record as a person would in the tool."""

    @abstractmethod
    async def comment_remote(self, ref: ExternalRef, body: str, *, public: bool) -> None:
        """Add a comment (public) or an internal note as a person would."""

    @abstractmethod
    async def remote_comment_texts(self, ref: ExternalRef) -> list[str]:
        """The comment texts a person sees on the record, oldest first."""

    @abstractmethod
    async def inject_rate_limit(self, retry_after: float) -> None:
        """Make the next request answer 429 with ``Retry-After: retry_after``."""

    @abstractmethod
    async def lose_next_create_response(self) -> None:
        """Let the next create reach the remote but fail the caller (a lost response)."""


def _ref(connector: Connector, change: RemoteChange) -> ExternalRef:
    """The record's own ref (it may carry a remote type), else one built from its id."""
    refs = change.record.refs if change.record is not None else []
    mine = [r for r in refs if r.system == connector.name and r.remote_id == change.remote_id]
    return mine[0] if mine else ExternalRef(system=connector.name, remote_id=change.remote_id)


async def _pull_all(connector: Connector, request: PullRequest) -> list[PullItem]:
    return [item async for item in connector.pull(request)]


def _latest(items: Sequence[PullItem], remote_id: str) -> RemoteChange:
    found = [i for i in items if isinstance(i, RemoteChange) and i.remote_id == remote_id]
    assert found, f"record {remote_id} was not pulled"
    return found[-1]


def _fields(record: AnyRecord | None, synced: frozenset[str] | None) -> dict[str, JsonValue]:
    assert record is not None
    dumped = record.model_dump(mode="json", exclude=set(_BOOKKEEPING))
    return {k: v for k, v in dumped.items() if synced is None or k in synced}


class ConnectorConformance:
    """The checks; subclass it as ``Test<Name>Conformance`` and provide the fixture."""

    rate_limit_retry_after: ClassVar[float] = 1.0
    """The Retry-After injected; keep it small if the connector offers no sleep seam."""

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    async def _create(
        self, target: ConformanceTarget, kind: RecordKind, title: str
    ) -> tuple[RemoteChange, str]:
        marker = new_id()
        created = await target.connector.create(target.make_record(kind, title), marker=marker)
        assert created.kind is kind and created.remote_id
        assert created.marker == marker, "create must return the marker it wrote"
        return created, marker

    @pytest.mark.anyio
    async def test_check_is_ok(self, conformance_target: ConformanceTarget) -> None:
        """``check`` reaches the emulator and reports every item ok."""
        result = await conformance_target.connector.check()
        assert result.ok, [i for i in result.items if not i.ok]
        assert result.items, "a check must say what it checked"

    @pytest.mark.anyio
    async def test_create_then_pull_round_trip(self, conformance_target: ConformanceTarget) -> None:
        """A created record is pulled back with its marker, title and status."""
        t = conformance_target
        for kind in t.kinds:
            sent = t.make_record(kind, f"round trip {kind.value}")
            marker = new_id()
            created = await t.connector.create(sent, marker=marker)
            pulled = _latest(
                await _pull_all(t.connector, PullRequest(kind=kind)), created.remote_id
            )
            assert pulled.marker == marker
            assert pulled.record is not None and not pulled.deleted
            assert pulled.record.title == sent.title
            assert pulled.record.status == sent.status  # type: ignore[union-attr]

    @pytest.mark.anyio
    async def test_update_each_field_alone(self, conformance_target: ConformanceTarget) -> None:
        """Each field written alone reads back changed, and no other field moves."""
        t = conformance_target
        synced = t.connector.synced_fields
        for kind in t.kinds:
            for name, value in t.new_values(kind).items():
                created, _ = await self._create(t, kind, f"update {name}")
                ref = _ref(t.connector, created)
                before = await t.connector.fetch(kind, created.remote_id)
                assert before is not None
                held = _fields(before.record, synced)
                change = FieldChange(field=name, old=held.get(name), new=value)
                await t.connector.update(ref, FieldChanges(kind=kind, changes=(change,)))
                after = await t.connector.fetch(kind, created.remote_id)
                assert after is not None
                now = _fields(after.record, synced)
                assert now[name] == value, f"{kind.value}.{name} did not change"
                assert {k: v for k, v in now.items() if k != name} == {
                    k: v for k, v in held.items() if k != name
                }, f"writing {kind.value}.{name} changed other fields"

    @pytest.mark.anyio
    async def test_update_refuses_a_stale_base(self, conformance_target: ConformanceTarget) -> None:
        """A person's edit since the last read makes ``update`` raise ``RemoteChanged``
        and write nothing, so the engine merges instead of overwriting."""
        t = conformance_target
        for kind in t.kinds:
            created, _ = await self._create(t, kind, "original title")
            ref = _ref(t.connector, created)
            await t.edit_remote(ref, title="edited by a person")
            change = FieldChange(field="title", old="original title", new="hub title")
            with pytest.raises(RemoteChanged):
                await t.connector.update(ref, FieldChanges(kind=kind, changes=(change,)))
            now = await t.connector.fetch(kind, created.remote_id)
            assert now is not None and now.record is not None
            assert now.record.title == "edited by a person"

    @pytest.mark.anyio
    async def test_comments_both_ways(self, conformance_target: ConformanceTarget) -> None:
        """Our comments show their author remotely and come back as ours; a person's
        public comment and internal note are pulled with their visibility."""
        t = conformance_target
        for kind in t.kinds:
            created, _ = await self._create(t, kind, "comments")
            ref = _ref(t.connector, created)
            ours = Comment(
                body="restarted the gateway",
                author=PersonRef(display_name="Grace Hopper"),
                visibility=Visibility.INTERNAL,
                created_at=utcnow(),
            )
            copy = await t.connector.add_comment(ref, ours, marker=new_id())
            assert copy.system == t.connector.name and copy.remote_id
            texts = await t.remote_comment_texts(ref)
            assert len(texts) == 1 and ours.body in texts[0] and "Grace Hopper" in texts[0]
            await t.comment_remote(ref, "customer says it works", public=True)
            await t.comment_remote(ref, "agents only", public=False)
            record = _latest(await _pull_all(t.connector, PullRequest(kind=kind)), ref.remote_id)
            assert record.record is not None
            comments = {c.body: c for c in record.record.comments}
            assert set(comments) == {ours.body, "customer says it works", "agents only"}
            assert comments[ours.body].id == ours.id, "our copy must be recognised as ours"
            author = comments[ours.body].author
            assert author is not None and author.display_name == "Grace Hopper"
            assert comments[ours.body].visibility is Visibility.INTERNAL
            assert comments["customer says it works"].visibility is Visibility.PUBLIC
            assert comments["agents only"].visibility is Visibility.INTERNAL

    @pytest.mark.anyio
    async def test_link(self, conformance_target: ConformanceTarget) -> None:
        """A link written is read back on its source record with its kind and target."""
        t = conformance_target
        if "link" not in t.connector.capabilities() or t.link_case is None:
            pytest.skip(f"{t.connector.kind} does not implement link")
        source_kind, target_kind, link_kind = t.link_case
        source, _ = await self._create(t, source_kind, "link source")
        other, _ = await self._create(t, target_kind, "link target")
        await t.connector.link(_ref(t.connector, source), _ref(t.connector, other), link_kind)
        read = await t.connector.fetch(source_kind, source.remote_id)
        assert read is not None and read.record is not None
        assert [
            (k.kind, k.target_ref.remote_id if k.target_ref else None) for k in read.record.links
        ] == [(link_kind, other.remote_id)]

    @pytest.mark.anyio
    async def test_create_after_a_lost_response_is_found_by_marker(
        self, conformance_target: ConformanceTarget
    ) -> None:
        """When a create's response is lost, ``find_by_marker`` finds the one record the
        remote made, so the engine does not create it twice."""
        t = conformance_target
        for kind in t.kinds:
            marker = new_id()
            await t.lose_next_create_response()
            with pytest.raises(ItsmhubError):  # classified, so the engine knows what to do
                await t.connector.create(t.make_record(kind, "lost response"), marker=marker)
            found = await t.connector.find_by_marker(kind, marker)
            assert found is not None and found.marker == marker
            assert found.record is not None and found.record.title == "lost response"
            items = await _pull_all(t.connector, PullRequest(kind=kind))
            carrying = {
                i.remote_id for i in items if isinstance(i, RemoteChange) and i.marker == marker
            }
            assert carrying == {found.remote_id}, "exactly one record carries the marker"

    @pytest.mark.anyio
    async def test_paging_while_records_change(self, conformance_target: ConformanceTarget) -> None:
        """Over more than two pages, with one already-read and one not-yet-read record
        edited mid-read: every record is yielded, a checkpoint closes each page with
        monotonic watermarks, and resuming from the last checkpoint shows both edits."""
        t = conformance_target
        kind = t.kinds[0]
        count = 2 * t.page_size + 1
        refs = [_ref(t.connector, (await self._create(t, kind, f"p{n}"))[0]) for n in range(count)]
        ids = [ref.remote_id for ref in refs]
        # An offset pager skips a record when an already-read one moves to the end.
        edited = {refs[0]: "edited, already read", refs[-2]: "edited, not yet read"}
        items: list[PullItem] = []
        async for item in t.connector.pull(PullRequest(kind=kind)):
            items.append(item)
            if isinstance(item, Checkpoint) and sum(isinstance(i, Checkpoint) for i in items) == 1:
                for ref, title in edited.items():
                    await t.edit_remote(ref, title=title)
        yielded = {i.remote_id for i in items if isinstance(i, RemoteChange)}
        assert set(ids) <= yielded, f"records skipped: {sorted(set(ids) - yielded)}"
        assert isinstance(items[-1], Checkpoint), "the last page must end with a checkpoint"
        checkpoints = [i for i in items if isinstance(i, Checkpoint)]
        assert len(checkpoints) >= math.ceil(count / t.page_size)
        marks = [c.cursor.watermark for c in checkpoints if c.cursor.watermark is not None]
        assert marks == sorted(marks), "watermarks must never move back"
        run, latest = 0, None
        for item in items:
            run = 0 if isinstance(item, Checkpoint) else run + 1
            assert run <= t.page_size, "a checkpoint must follow every page"
            if isinstance(item, RemoteChange):
                latest = max(latest or item.changed_at, item.changed_at)
            elif isinstance(item, Checkpoint) and item.cursor.watermark and latest:
                # "complete up to the cursor": nothing already yielded lies beyond it
                assert latest <= item.cursor.watermark, "a checkpoint lags what it covers"
        again = await _pull_all(t.connector, PullRequest(kind=kind, cursor=checkpoints[-1].cursor))
        for ref, title in edited.items():
            seen = [
                i
                for i in [*items, *again]
                if isinstance(i, RemoteChange)
                and i.remote_id == ref.remote_id
                and i.record is not None
            ]
            assert title in {i.record.title for i in seen if i.record}, f"lost edit {title!r}"

    @pytest.mark.anyio
    async def test_rate_limit_is_honoured(self, conformance_target: ConformanceTarget) -> None:
        """After a 429, the call waits the vendor's Retry-After (through the injected
        sleep) and succeeds, or raises ``RateLimited`` carrying that wait."""
        t = conformance_target
        kind = t.kinds[0]
        created, _ = await self._create(t, kind, "rate limited")
        wait = self.rate_limit_retry_after
        for call in ("fetch", "create"):
            await t.inject_rate_limit(wait)
            t.sleep.calls.clear()
            if t.retries_rate_limits:
                if call == "fetch":
                    got = await t.connector.fetch(kind, created.remote_id)
                    assert got is not None and got.remote_id == created.remote_id
                else:
                    await self._create(t, kind, "after a 429")
                assert wait in t.sleep.calls, f"{call}: slept {t.sleep.calls}, not {wait}"
            else:
                with pytest.raises(RateLimited) as info:
                    if call == "fetch":
                        await t.connector.fetch(kind, created.remote_id)
                    else:
                        await self._create(t, kind, "after a 429")
                assert info.value.retry_after == wait

    @pytest.mark.anyio
    async def test_update_comment_reads_back_edited_once(
        self, conformance_target: ConformanceTarget
    ) -> None:
        """An edited comment is read back as the same comment with the new text, once,
        even when the edit is sent twice (a retry after a lost answer)."""
        t = conformance_target
        if "update_comment" not in t.connector.capabilities():
            pytest.skip(f"{t.connector.kind} does not implement update_comment")
        kind = t.kinds[0]
        created, _ = await self._create(t, kind, "edited comment")
        ref = _ref(t.connector, created)
        ours = Comment(body="first words", visibility=Visibility.PUBLIC, created_at=utcnow())
        copy = await t.connector.add_comment(ref, ours, marker=new_id())
        edited = ours.model_copy(update={"body": "better words", "refs": [copy]})
        await t.connector.update_comment(ref, edited)
        await t.connector.update_comment(ref, edited)
        read = await t.connector.fetch(kind, created.remote_id)
        assert read is not None and read.record is not None
        comments = list(getattr(read.record, "comments", []))
        assert [(c.id, c.body) for c in comments] == [(ours.id, "better words")]
        assert [r.remote_id for r in comments[0].refs if r.system == copy.system] == [
            copy.remote_id
        ], "the edited comment keeps the ref of its copy"

    @pytest.mark.anyio
    async def test_write_many_settles_each_write_on_its_own(
        self, conformance_target: ConformanceTarget
    ) -> None:
        """``write_many`` answers per write, in order: creates as ``create`` would, updates
        as ``update`` would, and a stale base as ``RemoteChanged`` without writing it."""
        t = conformance_target
        if "write_many" not in t.connector.capabilities():
            pytest.skip(f"{t.connector.kind} does not implement write_many")
        kind = t.kinds[0]
        fresh, _ = await self._create(t, kind, "bulk fresh")
        stale, _ = await self._create(t, kind, "bulk stale")
        await t.edit_remote(_ref(t.connector, stale), title="edited by a person")
        marker = new_id()

        def rename(created: RemoteChange, old: str) -> WriteUpdate:
            change = FieldChange(field="title", old=old, new="renamed in bulk")
            changes = FieldChanges(kind=kind, changes=(change,))
            return WriteUpdate(ref=_ref(t.connector, created), changes=changes)

        writes: list[Write] = [
            WriteCreate(record=t.make_record(kind, "bulk new"), marker=marker),
            rename(fresh, "bulk fresh"),
            rename(stale, "bulk stale"),
        ]
        outcomes = await t.connector.write_many(writes)
        assert len(outcomes) == 3
        new, updated, refused = outcomes
        assert isinstance(new, RemoteChange) and new.marker == marker
        assert isinstance(updated, RemoteVersion)
        assert isinstance(refused, RemoteChanged)
        for remote_id, title in (
            (new.remote_id, "bulk new"),
            (fresh.remote_id, "renamed in bulk"),
            (stale.remote_id, "edited by a person"),
        ):
            read = await t.connector.fetch(kind, remote_id)
            assert read is not None and read.record is not None and read.record.title == title


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app (an emulator) with uvicorn on 127.0.0.1; yield its base URL.

    The socket is bound to a free port before the server starts, so the URL works at
    once, with no waiting; the server stops when the block ends.
    """
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
