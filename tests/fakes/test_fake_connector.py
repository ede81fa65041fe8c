"""The fake vendor and its connector behave like a real remote: keyset paging with a
re-read boundary, versions, markers, comment footers, persistence and injected faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from fakes.connector import REMOTES, FakeConnector, FakeSettings
from fakes.faults import KILL_ENV
from fakes.remote import FakeClock, FakeRemote
from itsmhub import (
    Checkpoint,
    Comment,
    ConfigError,
    ConnectorContext,
    ExternalRef,
    FieldChange,
    FieldChanges,
    HttpSettings,
    Incident,
    LinkKind,
    PersonRef,
    PullRequest,
    RateLimited,
    RecordError,
    RecordKind,
    RejectedRecord,
    RemoteChange,
    RemoteChanged,
    TransientError,
    Visibility,
)
from itsmhub.plugins import load_plugins

pytestmark = pytest.mark.anyio
TESTS = Path(__file__).resolve().parent.parent
INCIDENT = RecordKind.INCIDENT
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def context() -> ConnectorContext:
    return ConnectorContext(http=HttpSettings(), resolve_secret=lambda ref: SecretStr("x"))


@pytest.fixture
def remote() -> Iterator[FakeRemote]:
    remote = REMOTES["test-remote"] = FakeRemote(FakeClock())
    yield remote
    REMOTES.pop("test-remote", None)


@pytest.fixture
def fake(remote: FakeRemote) -> FakeConnector:
    return FakeConnector("fk", FakeSettings(remote="test-remote", page_size=3), context())


async def collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


async def pull(fake: FakeConnector, **request: Any) -> list[Any]:
    return await collect(fake.pull(PullRequest(kind=INCIDENT, **request)))


def shape(items: list[Any]) -> list[str]:
    """A pull as a string per item: a remote_id, 'cp' for a checkpoint, '!id' if rejected."""
    return [
        "cp"
        if isinstance(i, Checkpoint)
        else f"!{i.remote_id}"
        if isinstance(i, RejectedRecord)
        else i.remote_id
        for i in items
    ]


def ref(remote_id: str, system: str = "fk") -> ExternalRef:
    return ExternalRef(system=system, remote_id=remote_id)


def seed(remote: FakeRemote, n: int) -> list[str]:
    return [remote.add("incident", title=f"outage {i}", status="new").remote_id for i in range(n)]


# --- pulling ----------------------------------------------------------------------------


async def test_pages_end_in_checkpoints_at_the_last_updated_at(remote, fake) -> None:
    ids = seed(remote, 7)
    items = await pull(fake)
    assert shape(items) == [*ids[:3], "cp", *ids[3:6], "cp", ids[6], "cp"]
    marks = [i.cursor.watermark for i in items if isinstance(i, Checkpoint)]
    assert marks == [remote.records[ids[k]].updated_at for k in (2, 5, 6)]
    assert items[3].cursor.seen == {(ids[2], "1")}
    assert remote.calls["list_changed"] == 3  # the short last page ends the pull


async def test_a_full_last_page_costs_one_empty_read_and_no_extra_checkpoint(remote, fake):
    seed(remote, 6)
    assert shape(await pull(fake)).count("cp") == 2
    assert remote.calls["list_changed"] == 3


async def test_a_pulled_record_is_the_neutral_model_with_its_ref(remote, fake) -> None:
    rid = remote.add("incident", title="VPN", status="in_progress", impact=1, urgency=2).remote_id
    [change, _] = await pull(fake)
    assert isinstance(change, RemoteChange) and change.version == "1" and change.marker is None
    assert isinstance(change.record, Incident) and change.record.priority == 2
    assert change.record.refs == [ref(rid).model_copy(update={"key": "INC-1"})]
    assert change.record.id == f"fk:{rid}" and change.changed_at == T0 + timedelta(seconds=1)


async def test_the_cursor_boundary_is_re_read_for_the_engine_to_de_duplicate(remote, fake):
    ids = seed(remote, 4)
    first = await pull(fake)
    again = await pull(fake, cursor=first[-1].cursor)
    assert shape(again) == [ids[3], "cp"]
    assert again[-1].cursor == first[-1].cursor


async def test_a_boundary_spanning_pages_keeps_every_version_seen_at_it(remote, fake) -> None:
    remote.clock.step = timedelta(0)  # five records on the same second
    ids = seed(remote, 5)
    items = await pull(fake)
    assert shape(items) == [*ids[:3], "cp", *ids[3:], "cp"]
    assert items[-1].cursor.seen == {(rid, "1") for rid in ids}
    assert shape(await pull(fake, cursor=items[-1].cursor)) == shape(items)


async def test_a_record_edited_during_a_pull_shows_up_later_never_lost(remote, fake) -> None:
    ids = seed(remote, 5)
    stream = fake.pull(PullRequest(kind=INCIDENT))
    first = [await anext(stream) for _ in range(4)]  # first page and its checkpoint
    remote.edit(ids[0], title="edited while paging")
    remote.edit(ids[4], title="edited before it was read")
    rest = await collect(stream)
    assert shape(first + rest) == [*ids[:3], "cp", ids[3], ids[0], ids[4], "cp"]
    assert [c.version for c in rest if isinstance(c, RemoteChange)] == ["1", "2", "2"]
    remote.edit(ids[1], status="resolved")
    later = await pull(fake, cursor=rest[-1].cursor)
    assert shape(later) == [ids[4], ids[1], "cp"]  # the boundary again, then the edit


async def test_a_backfill_reads_since_inclusive_until_exclusive(remote, fake) -> None:
    ids = seed(remote, 5)
    at = [remote.records[rid].updated_at for rid in ids]
    items = await pull(fake, since=at[1], until=at[4])
    assert shape(items) == [*ids[1:4], "cp"]


async def test_a_deleted_record_is_pulled_as_a_tombstone(remote, fake) -> None:
    [rid] = seed(remote, 1)
    remote.delete(rid)
    [change, _] = await pull(fake)
    assert change.deleted and change.record is None and change.version == "2"
    assert await fake.fetch(INCIDENT, rid) == change
    assert remote.records_of() == []


# --- writing ----------------------------------------------------------------------------


async def test_create_carries_the_marker_and_find_by_marker_finds_it(remote, fake) -> None:
    incident = Incident(title="Mail down", status="in_progress", tags=["mail", "eu"])
    created = await fake.create(incident, marker="itsmhub-m1")
    stored = remote.records[created.remote_id]
    assert stored.marker == "itsmhub-m1" and stored.fields["tags"] == ["eu", "mail"]
    assert "id" not in stored.fields and "comments" not in stored.fields
    assert created.record is not None and created.record.title == "Mail down"
    assert await fake.find_by_marker(INCIDENT, "itsmhub-m1") == [created]
    assert await fake.find_by_marker(INCIDENT, "itsmhub-other") == []
    assert await fake.find_by_marker(RecordKind.PROBLEM, "itsmhub-m1") == []
    assert await fake.fetch(INCIDENT, created.remote_id) == created
    assert await fake.fetch(INCIDENT, "F-404") is None


def changes(**fields: tuple[Any, Any]) -> FieldChanges:
    return FieldChanges(
        kind=INCIDENT,
        changes=tuple(FieldChange(field=k, old=old, new=new) for k, (old, new) in fields.items()),
    )


async def test_update_bumps_the_version_only_when_a_value_changes(remote, fake) -> None:
    [rid] = seed(remote, 1)
    written = await fake.update(ref(rid), changes(status=("new", "resolved")))
    assert written.version == "2" and written.updated_at == remote.records[rid].updated_at
    assert remote.records[rid].fields["status"] == "resolved"
    again = await fake.update(ref(rid), changes(status=("resolved", "resolved")))
    assert again.version == "2"


async def test_update_refuses_when_the_remote_moved_and_writes_nothing(remote, fake) -> None:
    [rid] = seed(remote, 1)
    remote.edit(rid, status="on_hold")  # a person, between our read and our write
    with pytest.raises(RemoteChanged, match="status"):
        await fake.update(ref(rid), changes(status=("new", "resolved")))
    assert remote.records[rid].fields["status"] == "on_hold"
    await fake.update(ref(rid), changes(title=("outage 0", "renamed")))  # other fields still write


async def test_a_value_the_remote_refuses_is_a_record_error(remote, fake) -> None:
    [rid] = seed(remote, 1)
    with pytest.raises(RecordError, match="status") as info:
        await fake.update(ref(rid), changes(status=("new", "bogus")))
    assert info.value.status == 400 and remote.records[rid].version == 1
    with pytest.raises(RecordError) as gone:
        await fake.update(ref("F-9"), changes(title=("a", "b")))
    assert gone.value.status == 404


async def test_comments_name_their_author_and_read_back_under_the_hub_id(remote, fake) -> None:
    [rid] = seed(remote, 1)
    comment = Comment(
        body="Rebooted the VPN concentrator",
        visibility=Visibility.INTERNAL,
        author=PersonRef(display_name="Grace Hopper"),
        created_at=T0,
    )
    copy = await fake.add_comment(ref(rid), comment, marker=comment.id)
    [stored] = remote.records[rid].comments
    assert copy == ref(stored.remote_id)
    assert stored.body == (
        f"Rebooted the VPN concentrator\n\n— Grace Hopper (via itsmhub)\n\n[itsmhub:{comment.id}]"
    )
    assert stored.hub_id == comment.id and stored.visibility == "internal"
    remote.comment(rid, "Still down for me", author="Ada")
    change = await fake.fetch(INCIDENT, rid)
    assert change is not None and change.version == "3"
    ours, theirs = change.record.comments  # type: ignore[union-attr]
    assert (ours.id, ours.body, ours.author) == (comment.id, comment.body, comment.author)
    assert ours.visibility is Visibility.INTERNAL and ours.refs == [copy]
    assert theirs.id == f"fk:{theirs.refs[0].remote_id}" and theirs.author.display_name == "Ada"
    edited = comment.model_copy(update={"body": "Replaced the concentrator", "refs": [copy]})
    await fake.update_comment(ref(rid), edited)
    assert remote.records[rid].comments[0].body.startswith("Replaced the concentrator\n\n— Grace")


async def test_links_are_written_once_and_read_back_as_target_refs(remote, fake) -> None:
    incident, problem = seed(remote, 1)[0], remote.add("problem", title="Flaky VPN").remote_id
    for _ in range(2):
        await fake.link(ref(incident), ref(problem), LinkKind.CAUSED_BY)
    await fake.link(ref(incident), ref("10001", "jira"), LinkKind.RELATED)
    assert remote.records[incident].links == [("caused_by", problem), ("related", "jira:10001")]
    record = (await fake.fetch(INCIDENT, incident)).record  # type: ignore[union-attr]
    assert [(link.kind, link.target_ref) for link in record.links] == [
        (LinkKind.CAUSED_BY, ref(problem)),
        (LinkKind.RELATED, ref("10001", "jira")),
    ]


async def test_check_reports_the_remote_reachable(remote, fake) -> None:
    seed(remote, 2)
    result = await fake.check()
    assert result.ok and result.connector == "fk" and "2 records" in result.items[0].detail


# --- faults -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        TransientError("503 from the fake", status=503),
        RateLimited("429 from the fake", status=429, retry_after=2),
        RecordError("field refused", status=400),
    ],
)
async def test_an_injected_error_propagates_unchanged_and_only_as_often_as_asked(
    remote, fake, exc
) -> None:
    remote.faults.fail_next("create", exc, times=2)
    for _ in range(2):
        with pytest.raises(type(exc)) as info:
            await fake.create(Incident(title="x"), marker="m")
        assert info.value is exc
    await fake.create(Incident(title="x"), marker="m")
    assert len(remote.records) == 1 and remote.calls["create"] == 3


async def test_a_failure_can_hit_a_later_page_of_a_pull(remote, fake) -> None:
    seed(remote, 5)
    remote.faults.fail_next("list_changed", TransientError("503", status=503), skip=1)
    stream = fake.pull(PullRequest(kind=INCIDENT))
    assert shape([await anext(stream) for _ in range(4)]).count("cp") == 1
    with pytest.raises(TransientError):
        await anext(stream)


async def test_a_lost_response_leaves_the_record_created(remote, fake) -> None:
    remote.faults.fail_after("create", TransientError("connection dropped"))
    with pytest.raises(TransientError):
        await fake.create(Incident(title="Badge reader"), marker="itsmhub-lost")
    [found] = await fake.find_by_marker(INCIDENT, "itsmhub-lost")
    assert found.record is not None and found.record.title == "Badge reader"


async def test_a_malformed_record_is_rejected_and_the_page_goes_on(remote, fake) -> None:
    ids = seed(remote, 4)
    remote.faults.malformed(ids[1])
    items = await pull(fake)
    assert shape(items) == [ids[0], f"!{ids[1]}", ids[2], "cp", ids[3], "cp"]
    rejected = items[1]
    assert rejected.version == "1" and "status" in rejected.reason and "INC-2" in rejected.reason
    with pytest.raises(RecordError, match="cannot map"):
        await fake.fetch(INCIDENT, ids[1])
    remote.faults.heal(ids[1])
    assert (await fake.fetch(INCIDENT, ids[1])) is not None
    remote.faults.malformed(ids[2])
    remote.faults.clear()
    assert "!" not in "".join(shape(await pull(fake)))


# --- persistence and processes ------------------------------------------------------------


async def test_a_file_remote_survives_reopening_and_sees_other_writers(tmp_path) -> None:
    path = tmp_path / "remote.json"
    first = FakeRemote.open(path)
    rid = first.add("incident", title="Disk full", status="new").remote_id
    first.comment(rid, "Cleared /tmp")
    first.faults.malformed(rid)
    second = FakeRemote.open(path)
    assert second.record(rid) == first.record(rid)
    second.edit(rid, status="resolved")  # another process, as far as `first` can tell
    assert first.records[rid].fields["status"] == "resolved"
    first.faults.heal(rid)
    created = first.add("incident", title="later")
    assert created.remote_id == "F-2" and created.updated_at > second.record(rid).updated_at
    assert json.loads(path.read_text())["malformed"] == []
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


async def test_a_connector_opens_a_file_remote_or_says_which_setting_is_wrong(tmp_path) -> None:
    path = tmp_path / "remote.json"
    FakeRemote.open(path).add("incident", title="on disk")
    fake = FakeConnector("fk", FakeSettings(remote=str(path)), context())
    assert shape(await pull(fake))[0] == "F-1"
    with pytest.raises(ConfigError, match=r"connectors\.fk\.remote"):
        FakeConnector("fk", FakeSettings(remote=str(tmp_path / "no" / "r.json")), context())


def test_the_plugin_module_registers_the_fake_kind() -> None:
    plugins = load_plugins(environ={"ITSMHUB_PLUGIN_MODULES": "fakes.plugin"})
    assert plugins.registry.connectors.get("fake") is FakeConnector
    assert "fakes.plugin" in {p.name for p in plugins.loaded}
    assert {"pull", "create", "update", "update_comment", "link"} <= set(
        FakeConnector.capabilities()
    )


SCRIPT = """
import anyio
from fakes.connector import FakeConnector, FakeSettings
from fakes.remote import FakeRemote
from itsmhub import ConnectorContext, HttpSettings, Incident, PullRequest

remote = FakeRemote.open({path!r})
fake = FakeConnector("fk", FakeSettings(remote={path!r}, page_size=2), ConnectorContext(
    http=HttpSettings(), resolve_secret=lambda ref: None))

async def main():
    await fake.create(Incident(title="created"), marker="m1")
    async for item in fake.pull(PullRequest(kind="incident")):
        print("took", type(item).__name__, flush=True)
    print("survived", flush=True)

anyio.run(main)
"""


@pytest.mark.parametrize(
    ("point", "took"), [("create:after", 0), ("pull:page:2", 2), ("pull:checkpoint:1", 3)]
)
def test_a_kill_point_really_sigkills_the_process(tmp_path, point: str, took: int) -> None:
    path = tmp_path / "remote.json"
    FakeRemote.open(path).add("incident", title="before")
    env = {**os.environ, "PYTHONPATH": str(TESTS), KILL_ENV: point}
    script = [sys.executable, "-c", textwrap.dedent(SCRIPT.format(path=str(path)))]
    done = subprocess.run(script, env=env, capture_output=True, timeout=30, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert done.stdout.count(b"took") == took and b"survived" not in done.stdout
    after = FakeRemote.open(path)
    assert [r.fields["title"] for r in after.records_of()] == ["before", "created"]
