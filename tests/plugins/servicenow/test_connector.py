"""The ServiceNow connector against respx: pull paging, check, marker lookup, writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from itsmhub import (
    Checkpoint,
    Comment,
    ConnectorContext,
    Cursor,
    ExternalRef,
    FatalError,
    FieldChange,
    FieldChanges,
    HttpSettings,
    Incident,
    KnownError,
    LinkKind,
    PersonRef,
    PullRequest,
    RecordError,
    RecordKind,
    RejectedRecord,
    RemoteChange,
    RemoteChanged,
    Visibility,
)
from itsmhub_servicenow.connector import ServiceNowConnector, pull_query
from itsmhub_servicenow.emulator import Instance, build_app, seed_instance
from itsmhub_servicenow.settings import ServiceNowSettings

BASE = "https://acme.service-now.com"
ORDER = "ORDERBYsys_updated_on^ORDERBYsys_id"


BASIC = {"method": "basic", "username": "admin", "password": "env:PW"}


def connector(
    page_size: int = 2, *, auth: dict[str, str] = BASIC, instance: Instance | None = None
) -> ServiceNowConnector:
    """A connector on respx, or on ``instance`` (the emulator: admin/admin, itsmhub-secret)."""
    data = {"instance_url": BASE, "auth": auth, "page_size": page_size}
    settings = ServiceNowSettings.model_validate(data, context={"config_dir": "."})
    secret = "admin" if auth["method"] == "basic" else "itsmhub-secret"
    transport = httpx.ASGITransport(app=build_app(instance)) if instance else None
    context = ConnectorContext(
        http=HttpSettings(), resolve_secret=lambda ref: SecretStr(secret), transport=transport
    )
    return ServiceNowConnector("snow", settings, context)


def row(n: int, updated: str, **extra: str) -> dict[str, Any]:
    return {
        "sys_id": f"{n:032x}",
        "number": f"INC{n:07d}",
        "short_description": f"incident {n}",
        "description": "",
        "state": "1",
        "impact": "3",
        "urgency": "3",
        "priority": "5",
        "correlation_id": "",
        "sys_created_on": "2025-01-01 00:00:00",
        "sys_updated_on": updated,
        "sys_mod_count": "0",
    } | extra


def rows(*items: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"result": list(items)})


def queries(route: respx.Route) -> list[str]:
    return [call.request.url.params["sysparm_query"] for call in route.calls]


def test_pull_queries_are_keyset_queries() -> None:
    since = datetime(2025, 1, 31, 14, 5, 7, tzinfo=UTC)
    until = datetime(2025, 2, 1, tzinfo=UTC)
    assert pull_query(None, None) == ORDER
    assert pull_query(since, until) == (
        f"sys_updated_on>=2025-01-31 14:05:07^sys_updated_on<2025-02-01 00:00:00^{ORDER}"
    )
    # ^OR binds to the term before it: updated >= X AND (updated > X OR sys_id > Y).
    assert pull_query(since, None, ("2025-01-31 14:05:09", "ab")) == (
        "sys_updated_on>=2025-01-31 14:05:09^sys_updated_on>2025-01-31 14:05:09"
        f"^ORsys_id>ab^{ORDER}"
    )


@pytest.mark.anyio
async def test_pull_pages_by_keyset_with_a_checkpoint_and_one_journal_call_per_page() -> None:
    journal_row = {
        "sys_id": "c" * 32,
        "element_id": f"{2:032x}",
        "element": "work_notes",
        "value": "looking",
        "sys_created_on": "2025-01-31 14:06:00",
        "sys_created_by": "beth",
    }
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        table = router.get("/api/now/table/incident")
        table.side_effect = [
            rows(row(1, "2025-01-31 14:05:07"), row(2, "2025-01-31 14:05:09")),
            rows(row(3, "2025-01-31 14:05:09", state="99")),
        ]
        journal = router.get("/api/now/table/sys_journal_field")
        journal.side_effect = [rows(journal_row), rows()]
        snow = connector(page_size=2)
        cursor = Cursor(watermark=datetime(2025, 1, 31, 14, 5, 7, tzinfo=UTC), token="x")
        items = [i async for i in snow.pull(PullRequest(kind=RecordKind.INCIDENT, cursor=cursor))]
        await snow.aclose()
    assert queries(table) == [
        f"sys_updated_on>=2025-01-31 14:05:07^{ORDER}",
        "sys_updated_on>=2025-01-31 14:05:09^sys_updated_on>2025-01-31 14:05:09"
        f"^ORsys_id>{2:032x}^{ORDER}",
    ]
    params = table.calls[0].request.url.params
    assert params["sysparm_limit"] == "2"
    assert params["sysparm_exclude_reference_link"] == "true"
    assert "priority" in params["sysparm_fields"].split(",")
    assert "comments" not in params["sysparm_fields"].split(",")
    assert queries(journal)[0] == (
        f"name=incident^elementINcomments,work_notes^element_idIN{1:032x},{2:032x}"
        "^ORDERBYsys_created_on^ORDERBYsys_id"
    )
    kinds = " ".join(type(i).__name__ for i in items)
    assert kinds == "RemoteChange RemoteChange Checkpoint RejectedRecord Checkpoint"
    first, second, check, rejected, _last = items
    assert isinstance(second, RemoteChange) and second.record is not None
    assert [c.body for c in second.record.comments] == ["looking"]
    assert isinstance(check, Checkpoint)
    assert check.cursor == Cursor(
        watermark=datetime(2025, 1, 31, 14, 5, 9, tzinfo=UTC), token=f"{2:032x}"
    )
    assert isinstance(rejected, RejectedRecord) and "'99'" in rejected.reason
    assert isinstance(first, RemoteChange) and first.version == "0"


@pytest.mark.anyio
async def test_a_backfill_reads_between_its_bounds() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        table = router.get("/api/now/table/problem").respond(200, json={"result": []})
        snow = connector()
        request = PullRequest(
            kind=RecordKind.PROBLEM,
            since=datetime(2025, 1, 1, tzinfo=UTC),
            until=datetime(2025, 2, 1, tzinfo=UTC),
        )
        assert [i async for i in snow.pull(request)] == []
        await snow.aclose()
    assert queries(table) == [
        f"sys_updated_on>=2025-01-01 00:00:00^sys_updated_on<2025-02-01 00:00:00^{ORDER}"
    ]


@pytest.mark.anyio
async def test_check_names_each_table_it_may_not_read() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/now/table/incident").respond(200, json={"result": []})
        router.get("/api/now/table/problem").respond(200, json={"result": []})
        router.get("/api/now/table/sys_journal_field").respond(
            403, json={"error": {"message": "ACL"}, "status": "failure"}
        )
        snow = connector()
        result = await snow.check()
        await snow.aclose()
    assert [(i.name, i.ok) for i in result.items] == [
        ("auth", True),
        ("reachability", True),
        ("read incident", True),
        ("read problem", True),
        ("read sys_journal_field", False),
    ]
    assert "sys_journal_field" in (result.items[-1].fix or "")
    assert not result.ok


@pytest.mark.anyio
async def test_check_reports_refused_credentials() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/now/table/incident").respond(401)
        snow = connector()
        result = await snow.check()
        await snow.aclose()
    assert [(i.name, i.ok) for i in result.items] == [("auth", False)]
    assert result.items[0].fix


@pytest.mark.anyio
async def test_create_carries_the_marker_and_find_by_marker_queries_it() -> None:
    created = row(7, "2025-02-01 10:00:00", correlation_id="itsmhub-01jx")
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        post = router.post("/api/now/table/incident").respond(201, json={"result": created})
        found = router.get("/api/now/table/incident").respond(200, json={"result": [created]})
        snow = connector()
        record = Incident(title="Printer on fire", impact=1, urgency=1)
        change = await snow.create(record, marker="itsmhub-01jx")
        again = await snow.find_by_marker(RecordKind.INCIDENT, "itsmhub-01jx")
        await snow.aclose()
    body = json.loads(post.calls.last.request.content)
    assert body["correlation_id"] == "itsmhub-01jx"
    assert body["impact"] == "1" and body["urgency"] == "1" and "priority" not in body
    assert change.marker == "itsmhub-01jx" and change.remote_id == f"{7:032x}"
    assert queries(found) == ["correlation_id=itsmhub-01jx^ORDERBYsys_created_on^ORDERBYsys_id"]
    assert [found.remote_id for found in again] == [change.remote_id]


REF = ExternalRef(system="snow", remote_id=f"{7:032x}", key="INC0000007", remote_type="incident")


@pytest.mark.anyio
async def test_update_refuses_when_the_remote_moved_on() -> None:
    changes = FieldChanges(
        kind=RecordKind.INCIDENT,
        changes=(FieldChange(field="title", old="old title", new="new title"),),
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(f"/api/now/table/incident/{REF.remote_id}").respond(
            200, json={"result": row(7, "2025-02-01 10:00:00", short_description="edited")}
        )
        snow = connector()
        with pytest.raises(RemoteChanged, match="title"):
            await snow.update(REF, changes)
        await snow.aclose()


@pytest.mark.anyio
async def test_update_patches_the_new_values_and_returns_the_version() -> None:
    changes = FieldChanges(
        kind=RecordKind.INCIDENT,
        changes=(
            FieldChange(field="status", old="new", new="resolved"),
            FieldChange(field="impact", old=3, new=2),
        ),
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(f"/api/now/table/incident/{REF.remote_id}").respond(
            200, json={"result": row(7, "2025-02-01 10:00:00")}
        )
        patch = router.patch(f"/api/now/table/incident/{REF.remote_id}").respond(
            200, json={"result": {"sys_mod_count": "4", "sys_updated_on": "2025-02-01 10:01:00"}}
        )
        snow = connector()
        version = await snow.update(REF, changes)
        await snow.aclose()
    body = json.loads(patch.calls.last.request.content)
    assert body["state"] == "6" and body["impact"] == "2"
    assert body["close_code"] and body["close_notes"]
    assert version.version == "4"
    assert version.updated_at == datetime(2025, 2, 1, 10, 1, tzinfo=UTC)


@pytest.mark.anyio
async def test_add_comment_writes_a_work_note_and_names_its_journal_entry() -> None:
    comment = Comment(
        id="01JNOTE",
        body="Rebooted",
        visibility=Visibility.INTERNAL,
        author=PersonRef(display_name="Ann"),
        created_at=datetime(2025, 2, 1, tzinfo=UTC),
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        patch = router.patch(f"/api/now/table/incident/{REF.remote_id}").respond(
            200, json={"result": {"sys_id": REF.remote_id}}
        )
        journal = router.get("/api/now/table/sys_journal_field").respond(
            200, json={"result": [{"sys_id": "e" * 32}]}
        )
        snow = connector()
        copy = await snow.add_comment(REF, comment, marker="01JNOTE")
        await snow.aclose()
    assert json.loads(patch.calls.last.request.content) == {
        "work_notes": "Rebooted\n\n— Ann (via itsmhub)\n\n[itsmhub:01JNOTE]"
    }
    assert queries(journal) == [
        f"element_id={REF.remote_id}^element=work_notes"
        "^valueLIKE[itsmhub:01JNOTE]^ORDERBYDESCsys_created_on"
    ]
    assert copy == ExternalRef(system="snow", remote_id="e" * 32, remote_type="sys_journal_field")


@pytest.mark.anyio
async def test_link_sets_the_incidents_problem() -> None:
    problem = ExternalRef(system="snow", remote_id="f" * 32, remote_type="problem")
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        patch = router.patch(f"/api/now/table/incident/{REF.remote_id}").respond(
            200, json={"result": {"sys_id": REF.remote_id}}
        )
        snow = connector()
        await snow.link(REF, problem, LinkKind.CAUSED_BY)
        await snow.aclose()
    assert json.loads(patch.calls.last.request.content) == {"problem_id": "f" * 32}


@pytest.mark.anyio
async def test_fetch_reads_the_row_and_its_journal_and_none_when_absent() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        one = router.get(f"/api/now/table/incident/{REF.remote_id}")
        one.side_effect = [
            httpx.Response(200, json={"result": row(7, "2025-02-01 10:00:00")}),
            httpx.Response(404, json={"error": {"message": "No Record"}}),
        ]
        router.get("/api/now/table/sys_journal_field").respond(200, json={"result": []})
        snow = connector()
        change = await snow.fetch(RecordKind.INCIDENT, REF.remote_id)
        assert await snow.fetch(RecordKind.INCIDENT, REF.remote_id) is None
        await snow.aclose()
    assert change is not None and change.version == "0"


@pytest.mark.anyio
async def test_against_the_emulator_every_record_is_pulled_once_across_pages() -> None:
    instance = Instance()
    seed_instance(instance, 7, incidents=50)
    async with connector(7, instance=instance) as snow:
        items = [i async for i in snow.pull(PullRequest(kind=RecordKind.INCIDENT))]
    changes = [i for i in items if isinstance(i, RemoteChange)]
    assert [i for i in items if isinstance(i, RejectedRecord)] == []
    assert len(changes) == 50 == len({c.remote_id for c in changes})
    checkpoints = [i for i in items if isinstance(i, Checkpoint)]
    assert len(checkpoints) == 8
    # X-Total-Count of each keyset page: what is left after it, for the progress bar.
    assert [c.remaining for c in checkpoints] == [43, 36, 29, 22, 15, 8, 1, 0]
    journal = {r["element_id"] for r in instance.rows("sys_journal_field")}
    with_comments = {c.remote_id for c in changes if c.record and c.record.comments}
    assert with_comments == journal & {c.remote_id for c in changes}


@pytest.mark.anyio
async def test_against_the_emulator_writes_read_back() -> None:
    instance = Instance()
    async with connector(100, instance=instance) as snow:
        created = await snow.create(Incident(title="Disk full", impact=2, urgency=1), marker="m-1")
        assert created.record is not None
        ref = created.record.refs[0]
        found = await snow.find_by_marker(RecordKind.INCIDENT, "m-1")
        assert [f.remote_id for f in found] == [ref.remote_id]
        change = FieldChange(field="status", old="new", new="resolved")
        await snow.update(ref, FieldChanges(kind=RecordKind.INCIDENT, changes=(change,)))
        note = Comment(id="01JC", body="Freed space", created_at=datetime(2025, 1, 1, tzinfo=UTC))
        copy = await snow.add_comment(ref, note, marker="01JC")
        again = await snow.fetch(RecordKind.INCIDENT, ref.remote_id)
    assert again is not None and isinstance(again.record, Incident)
    assert again.record.status.value == "resolved"
    assert again.record.priority is not None and again.record.priority.value == 2
    [comment] = again.record.comments
    assert (comment.id, comment.body, comment.refs[0].remote_id) == (
        "01JC",
        "Freed space",
        copy.remote_id,
    )


@pytest.mark.anyio
async def test_without_articles_known_errors_are_flagged_problems() -> None:
    snow = connector()
    request = PullRequest(kind=RecordKind.KNOWN_ERROR)
    assert [i async for i in snow.pull(request)] == []  # they come with the problems
    with pytest.raises(RecordError, match="flagged known_error") as info:
        await snow.create(KnownError(title="VPN drops"), marker="m-1")
    assert info.value.fix is not None and "use_known_error_articles" in info.value.fix


@pytest.mark.anyio
async def test_a_page_that_does_not_advance_stops_the_pull() -> None:
    same = rows(row(1, "2025-01-31 14:05:07"), row(2, "2025-01-31 14:05:09"))
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/now/table/incident").mock(side_effect=[same, same])
        router.get("/api/now/table/sys_journal_field").respond(200, json={"result": []})
        snow = connector(page_size=2)
        with pytest.raises(FatalError, match="the same page again"):
            [i async for i in snow.pull(PullRequest(kind=RecordKind.INCIDENT))]
        await snow.aclose()


@pytest.mark.anyio
async def test_against_the_emulator_oauth_client_credentials_signs_in() -> None:
    oauth = {
        "method": "oauth",
        "grant": "client_credentials",
        "client_id": "itsmhub",
        "client_secret": "env:CS",
    }
    async with connector(auth=oauth, instance=Instance()) as snow:
        result = await snow.check()
    assert result.ok, result.items
