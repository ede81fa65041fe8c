"""The checks of the conformance suite; see the package docstring for how to use them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import pytest
from pydantic import JsonValue

from itsmhub import (
    NOT_SYNCED,
    AnyRecord,
    Checkpoint,
    Comment,
    Connector,
    Deferred,
    ExternalRef,
    FieldChange,
    FieldChanges,
    ItsmhubError,
    PersonRef,
    PullItem,
    PullRequest,
    RateLimited,
    RecordKind,
    RemoteChange,
    RemoteChanged,
    RemoteComments,
    RemoteVersion,
    Visibility,
    Write,
    WriteCreate,
    WriteOutcome,
    WriteUpdate,
    new_id,
    utcnow,
)

from .target import ConformanceTarget

#: How many times a deferred bulk job is asked about before the check gives up.
JOB_POLLS = 20


def _ref(connector: Connector, change: RemoteChange) -> ExternalRef:
    """The record's own ref (it may carry a remote type), else one built from its id."""
    refs = change.record.refs if change.record is not None else []
    mine = [r for r in refs if r.system == connector.name and r.remote_id == change.remote_id]
    return mine[0] if mine else ExternalRef(system=connector.name, remote_id=change.remote_id)


def _latest(items: Sequence[PullItem], remote_id: str) -> RemoteChange:
    found = [i for i in items if isinstance(i, RemoteChange) and i.remote_id == remote_id]
    assert found, f"record {remote_id} was not pulled"
    return found[-1]


def _fields(record: AnyRecord | None, synced: frozenset[str] | None) -> dict[str, JsonValue]:
    assert record is not None
    dumped = record.model_dump(mode="json", exclude=set(NOT_SYNCED))
    return {k: v for k, v in dumped.items() if synced is None or k in synced}


def _require(target: ConformanceTarget, *methods: str) -> None:
    missing = [m for m in methods if not target.can(m)]
    if missing:
        pytest.skip(f"{target.connector.kind} does not implement {', '.join(missing)}")


def _expected(change: RemoteChange) -> RemoteVersion:
    return RemoteVersion(version=change.version, updated_at=change.changed_at)


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

    async def _fresh(
        self, target: ConformanceTarget, kind: RecordKind, ref: ExternalRef
    ) -> RemoteChange:
        read = await target.connector.fetch(kind, ref.remote_id)
        assert read is not None and read.record is not None, f"{ref.remote_id} cannot be fetched"
        return read

    @pytest.mark.anyio
    async def test_check_is_ok(self, conformance_target: ConformanceTarget) -> None:
        """``check`` reaches the emulator and reports every item ok."""
        _require(conformance_target, "check")
        result = await conformance_target.connector.check()
        assert result.ok, [i for i in result.items if not i.ok]
        assert result.items, "a check must say what it checked"

    @pytest.mark.anyio
    async def test_streams_cover_the_record_kinds(
        self, conformance_target: ConformanceTarget
    ) -> None:
        """Every record kind the target tests is yielded by one of the connector's streams,
        and stream names (cursor names) are unique."""
        streams = conformance_target.connector.streams()
        names = [stream.name for stream in streams]
        assert len(names) == len(set(names)), f"stream names repeat: {names}"
        covered = {kind for stream in streams for kind in stream.kinds}
        assert set(conformance_target.kinds) <= covered

    @pytest.mark.anyio
    async def test_create_then_pull_round_trip(self, conformance_target: ConformanceTarget) -> None:
        """A created record is pulled back with its marker, title and status."""
        t = conformance_target
        _require(t, "create", "pull")
        for kind in t.kinds:
            sent = t.make_record(kind, f"round trip {kind.value}")
            marker = new_id()
            created = await t.connector.create(sent, marker=marker)
            await t.settle()
            pulled = _latest(await _pull_all(t, kind), created.remote_id)
            assert pulled.marker == marker
            assert pulled.record is not None and not pulled.deleted
            assert pulled.record.title == sent.title
            assert pulled.record.status == sent.status  # type: ignore[union-attr]

    @pytest.mark.anyio
    async def test_update_each_field_alone(self, conformance_target: ConformanceTarget) -> None:
        """Each field written alone reads back changed, and no other field moves."""
        t = conformance_target
        _require(t, "create", "update", "fetch")
        synced = t.connector.synced_fields
        for kind in t.kinds:
            for name, value in t.new_values(kind).items():
                created, _ = await self._create(t, kind, f"update {name}")
                ref = _ref(t.connector, created)
                before = await self._fresh(t, kind, ref)
                held = _fields(before.record, synced)
                change = FieldChange(field=name, old=held.get(name), new=value)
                changes = FieldChanges(kind=kind, changes=(change,), expected=_expected(before))
                await t.connector.update(ref, changes)
                now = _fields((await self._fresh(t, kind, ref)).record, synced)
                assert now[name] == value, f"{kind.value}.{name} did not change"
                assert {k: v for k, v in now.items() if k != name} == {
                    k: v for k, v in held.items() if k != name
                }, f"writing {kind.value}.{name} changed other fields"

    @pytest.mark.anyio
    async def test_update_refuses_a_stale_base(self, conformance_target: ConformanceTarget) -> None:
        """A person's edit since the last read makes ``update`` raise ``RemoteChanged``
        and write nothing, so the engine merges instead of overwriting: by compare-and-set
        on the expected version, or by comparing the old values."""
        t = conformance_target
        _require(t, "create", "update", "fetch")
        for kind in t.kinds:
            created, _ = await self._create(t, kind, "original title")
            ref = _ref(t.connector, created)
            base = await self._fresh(t, kind, ref)
            await t.edit_remote(ref, title="edited by a person")
            change = FieldChange(field="title", old="original title", new="hub title")
            changes = FieldChanges(kind=kind, changes=(change,), expected=_expected(base))
            with pytest.raises(RemoteChanged):
                await t.connector.update(ref, changes)
            now = await self._fresh(t, kind, ref)
            assert now.record is not None and now.record.title == "edited by a person"

    @pytest.mark.anyio
    async def test_comments_both_ways(self, conformance_target: ConformanceTarget) -> None:
        """Our comments show their author remotely and come back as ours; a person's
        public comment and internal note are pulled with their visibility."""
        t = conformance_target
        _require(t, "add_comment", "pull")
        for kind in t.kinds:
            ref = await t.create_remote(kind, "comments")
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
            await t.settle()
            comments = {c.body: c for c in await _comments_pulled(t, kind, ref)}
            assert set(comments) == {ours.body, "customer says it works", "agents only"}
            assert comments[ours.body].id == ours.id, "our copy must be recognised as ours"
            author = comments[ours.body].author
            assert author is not None and author.display_name == "Grace Hopper"
            assert comments[ours.body].visibility is Visibility.INTERNAL
            assert comments["customer says it works"].visibility is Visibility.PUBLIC
            assert comments["agents only"].visibility is Visibility.INTERNAL

    @pytest.mark.anyio
    async def test_link(self, conformance_target: ConformanceTarget) -> None:
        """A link written is read back on its source record with its kind and target;
        with ``unlink``, removed again."""
        t = conformance_target
        _require(t, "link", "fetch")
        if t.link_case is None:
            pytest.skip(f"{t.connector.kind} declares no link case")
        source_kind, target_kind, link_kind = t.link_case
        assert link_kind in t.connector.link_kinds, f"{link_kind} is not a declared link kind"
        source = await t.create_remote(source_kind, "link source")
        other = await t.create_remote(target_kind, "link target")
        await t.connector.link(source, other, link_kind)
        read = await self._fresh(t, source_kind, source)
        assert read.record is not None
        kept = [
            (k.kind, k.target_ref.remote_id if k.target_ref else None)
            for k in read.record.links
            if k.kind in t.connector.link_kinds
        ]
        assert kept == [(link_kind, other.remote_id)]
        if t.can("unlink"):
            await t.connector.unlink(source, other, link_kind)
            await t.connector.unlink(source, other, link_kind)  # twice: not an error
            again = await self._fresh(t, source_kind, source)
            assert again.record is not None
            assert [k for k in again.record.links if k.kind is link_kind] == []

    @pytest.mark.anyio
    async def test_create_after_a_lost_response_is_found_by_marker(
        self, conformance_target: ConformanceTarget
    ) -> None:
        """When a create's response is lost, ``find_by_marker`` finds the one record the
        remote made (after the connector's declared ``marker_lag``), so the engine does
        not create it twice."""
        t = conformance_target
        _require(t, "create", "find_by_marker", "pull")
        for kind in t.kinds:
            marker = new_id()
            await t.lose_next_create_response()
            with pytest.raises(ItsmhubError):  # classified, so the engine knows what to do
                await t.connector.create(t.make_record(kind, "lost response"), marker=marker)
            await t.settle()
            found = await t.connector.find_by_marker(kind, marker)
            assert len(found) == 1 and found[0].marker == marker
            assert found[0].record is not None and found[0].record.title == "lost response"
            items = await _pull_all(t, kind)
            carrying = {
                i.remote_id for i in items if isinstance(i, RemoteChange) and i.marker == marker
            }
            assert carrying == {found[0].remote_id}, "exactly one record carries the marker"

    @pytest.mark.anyio
    async def test_paging_while_records_change(self, conformance_target: ConformanceTarget) -> None:
        """Over more than two pages, with one already-read and one not-yet-read record
        edited mid-read: every record is yielded, a checkpoint closes each page with
        monotonic watermarks, and resuming from the last checkpoint shows both edits."""
        t = conformance_target
        _require(t, "pull")
        kind = t.kinds[0]
        stream = _stream_of(t, kind)
        count = 2 * t.page_size + 1
        refs = [await t.create_remote(kind, f"p{n}") for n in range(count)]
        await t.settle()
        ids = [ref.remote_id for ref in refs]
        # An offset pager skips a record when an already-read one moves to the end.
        edited = {refs[0]: "edited, already read", refs[-2]: "edited, not yet read"}
        items: list[PullItem] = []
        async for item in t.connector.pull(PullRequest(stream=stream)):
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
        await t.settle()
        resumed = PullRequest(stream=stream, cursor=checkpoints[-1].cursor)
        again = [item async for item in t.connector.pull(resumed)]
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
        _require(t, "fetch")
        kind = t.kinds[0]
        ref = await t.create_remote(kind, "rate limited")
        wait = self.rate_limit_retry_after
        calls = ["fetch", "create"] if t.can("create") else ["fetch"]
        for call in calls:
            await t.inject_rate_limit(wait)
            t.sleep.calls.clear()
            if t.retries_rate_limits:
                if call == "fetch":
                    got = await t.connector.fetch(kind, ref.remote_id)
                    assert got is not None and got.remote_id == ref.remote_id
                else:
                    await self._create(t, kind, "after a 429")
                assert wait in t.sleep.calls, f"{call}: slept {t.sleep.calls}, not {wait}"
            else:
                with pytest.raises(RateLimited) as info:
                    if call == "fetch":
                        await t.connector.fetch(kind, ref.remote_id)
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
        _require(t, "add_comment", "update_comment", "pull")
        kind = t.kinds[0]
        ref = await t.create_remote(kind, "edited comment")
        ours = Comment(body="first words", visibility=Visibility.PUBLIC, created_at=utcnow())
        copy = await t.connector.add_comment(ref, ours, marker=new_id())
        edited = ours.model_copy(update={"body": "better words", "refs": [copy]})
        await t.connector.update_comment(ref, edited)
        await t.connector.update_comment(ref, edited)
        await t.settle()
        comments = await _comments_pulled(t, kind, ref)
        assert [(c.id, c.body) for c in comments] == [(ours.id, "better words")]
        assert [r.remote_id for r in comments[0].refs if r.system == copy.system] == [
            copy.remote_id
        ], "the edited comment keeps the ref of its copy"

    @pytest.mark.anyio
    async def test_write_many_settles_each_write_on_its_own(
        self, conformance_target: ConformanceTarget
    ) -> None:
        """``write_many`` answers per write, in order: creates as ``create`` would, updates
        as ``update`` would, and a stale base as ``RemoteChanged`` without writing it;
        writes carried out by an asynchronous job are followed until they end."""
        t = conformance_target
        _require(t, "write_many", "fetch")
        kind = t.kinds[0]
        fresh_ref = await t.create_remote(kind, "bulk fresh")
        stale_ref = await t.create_remote(kind, "bulk stale")
        fresh = await self._fresh(t, kind, fresh_ref)
        stale = await self._fresh(t, kind, stale_ref)
        await t.edit_remote(stale_ref, title="edited by a person")
        marker = new_id()

        def rename(ref: ExternalRef, read: RemoteChange, old: str) -> WriteUpdate:
            change = FieldChange(field="title", old=old, new="renamed in bulk")
            changes = FieldChanges(kind=kind, changes=(change,), expected=_expected(read))
            return WriteUpdate(ref=ref, changes=changes)

        writes: list[Write] = [
            WriteCreate(record=t.make_record(kind, "bulk new"), marker=marker),
            rename(fresh_ref, fresh, "bulk fresh"),
            rename(stale_ref, stale, "bulk stale"),
        ]
        assert len(writes) <= t.connector.max_batch
        outcomes = await _finished(t, await t.connector.write_many(writes))
        assert len(outcomes) == 3
        new, updated, refused = outcomes
        assert isinstance(new, RemoteChange) and new.marker == marker, new
        assert isinstance(updated, RemoteVersion), updated
        assert isinstance(refused, RemoteChanged), refused
        for remote_id, title in (
            (new.remote_id, "bulk new"),
            (fresh_ref.remote_id, "renamed in bulk"),
            (stale_ref.remote_id, "edited by a person"),
        ):
            read = await t.connector.fetch(kind, remote_id)
            assert read is not None and read.record is not None and read.record.title == title


def _stream_of(target: ConformanceTarget, kind: RecordKind):
    """The connector's stream that yields ``kind``."""
    for stream in target.connector.streams():
        if kind in stream.kinds:
            return stream
    raise AssertionError(f"no stream of {target.connector.kind} yields {kind.value}")


async def _pull_all(target: ConformanceTarget, kind: RecordKind) -> list[PullItem]:
    """Everything the streams yielding ``kind`` (and comments) hold, from the start."""
    items: list[PullItem] = []
    for stream in target.connector.streams():
        items += [item async for item in target.connector.pull(PullRequest(stream=stream))]
    return items


async def _comments_pulled(
    target: ConformanceTarget, kind: RecordKind, ref: ExternalRef
) -> list[Comment]:
    """The record's comments as a pull reads them: inside the record, or from a
    comments-only stream (folded in by hub comment id, as the engine does)."""
    found: dict[str, Comment] = {}
    for item in await _pull_all(target, kind):
        if isinstance(item, RemoteChange) and item.remote_id == ref.remote_id and item.record:
            comments = list(getattr(item.record, "comments", []))
        elif isinstance(item, RemoteComments) and item.remote_id == ref.remote_id:
            comments = list(item.comments)
        else:
            continue
        for comment in comments:
            found[comment.id] = comment
    return list(found.values())


async def _finished(target: ConformanceTarget, outcomes: list[WriteOutcome]) -> list[WriteOutcome]:
    """Outcomes with every ``Deferred`` one replaced by what its job ended with."""
    for _ in range(JOB_POLLS):
        jobs = sorted({o.job_id for o in outcomes if isinstance(o, Deferred)})
        if not jobs:
            return outcomes
        await target.settle()
        done = await target.connector.job_outcomes(jobs)
        resolved: list[WriteOutcome] = []
        for outcome in outcomes:
            if isinstance(outcome, Deferred) and done.get(outcome.job_id) is not None:
                results = done[outcome.job_id] or []
                resolved.append(results[outcome.position])
            else:
                resolved.append(outcome)
        outcomes = resolved
    raise AssertionError(f"bulk jobs did not finish after {JOB_POLLS} polls")
