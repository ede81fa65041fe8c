"""Known Error articles, edited comments and Batch API writes of the ServiceNow connector:
request shapes against respx, behaviour against the in-process emulator."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from itsmhub import (
    Comment,
    ConnectorContext,
    ExternalRef,
    FieldChange,
    FieldChanges,
    HttpSettings,
    Incident,
    KnownError,
    KnownErrorStatus,
    LinkKind,
    Problem,
    PullRequest,
    RecordError,
    RecordKind,
    RemoteChange,
    RemoteChanged,
    RemoteVersion,
    TransientError,
    Visibility,
    Write,
    WriteCreate,
    WriteUpdate,
    correction_marker,
)
from itsmhub_servicenow import mapping
from itsmhub_servicenow.connector import ServiceNowConnector
from itsmhub_servicenow.emulator import Instance, build_app, seed_instance
from itsmhub_servicenow.settings import ServiceNowSettings

BASE = "https://acme.service-now.com"
ARTICLES = "kb_template_known_error_article"
WHEN = datetime(2025, 1, 1, tzinfo=UTC)


class TickingClock:
    """One second per reading: ServiceNow stamps whole seconds, so entries written in the
    same second have no order but their sys_id."""

    def __init__(self) -> None:
        self.now = WHEN

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def connector(instance: Instance | None = None, **settings: Any) -> ServiceNowConnector:
    data = {
        "instance_url": BASE,
        "auth": {"method": "basic", "username": "admin", "password": "env:PW"},
        "page_size": 100,
        **settings,
    }
    validated = ServiceNowSettings.model_validate(data, context={"config_dir": "."})
    transport = httpx.ASGITransport(app=build_app(instance)) if instance else None
    context = ConnectorContext(
        http=HttpSettings(), resolve_secret=lambda ref: SecretStr("admin"), transport=transport
    )
    return ServiceNowConnector("snow", validated, context)


def articles(instance: Instance | None = None) -> ServiceNowConnector:
    return connector(instance, use_known_error_articles=True)


def update(ref: ExternalRef, field: str, old: Any, new: Any) -> WriteUpdate:
    kind = RecordKind.INCIDENT if ref.remote_type in (None, "incident") else RecordKind.PROBLEM
    changes = FieldChanges(kind=kind, changes=(FieldChange(field=field, old=old, new=new),))
    return WriteUpdate(ref=ref, changes=changes)


# --- Known Error articles ---------------------------------------------------------------


def test_an_article_row_maps_to_a_known_error_linked_to_its_problem() -> None:
    target = articles().target
    row = {
        "sys_id": "a" * 32,
        "number": "KB0010001",
        "short_description": "Mail relay drops",
        "description": "Mail to partners bounces",
        "workaround": "Resend after five minutes",
        "cause": "Relay queue overflow",
        "workflow_state": "published",
        "source_task": "b" * 32,
        "meta": "itsmhub-m1",
        "sys_created_on": "2025-01-01 00:00:00",
        "sys_updated_on": "2025-01-02 00:00:00",
        "sys_mod_count": "2",
    }
    record = mapping.to_record(target, RecordKind.KNOWN_ERROR, row, [])
    assert isinstance(record, KnownError)
    assert (record.title, record.workaround, record.cause) == (
        "Mail relay drops",
        "Resend after five minutes",
        "Relay queue overflow",
    )
    assert record.status is KnownErrorStatus.PUBLISHED
    [link] = record.links
    assert link.kind is LinkKind.KNOWN_ERROR_OF and link.target_ref is not None
    assert (link.target_ref.remote_id, link.target_ref.remote_type) == ("b" * 32, "problem")
    assert record.refs[0].remote_type == ARTICLES and record.refs[0].key == "KB0010001"
    # Retired reads as retired (fixed is written as retired too); review is still a draft.
    retired = mapping.to_record(
        target, RecordKind.KNOWN_ERROR, row | {"workflow_state": "retired"}, []
    )
    review = mapping.to_record(
        target, RecordKind.KNOWN_ERROR, row | {"workflow_state": "review"}, []
    )
    assert retired.status is KnownErrorStatus.RETIRED  # type: ignore[union-attr]
    assert review.status is KnownErrorStatus.DRAFT  # type: ignore[union-attr]


def test_an_article_payload_writes_the_template_fields_and_rebuilds_the_text() -> None:
    target = articles().target
    payload = mapping.to_payload(
        target,
        RecordKind.KNOWN_ERROR,
        {"title": "VPN drops", "workaround": "Use <b>split</b> tunnel", "status": "fixed"},
        current={"description": "Drops hourly", "cause": ""},
    )
    assert payload == {
        "short_description": "VPN drops",
        "workaround": "Use <b>split</b> tunnel",
        "workflow_state": "retired",
        "text": "<p>Drops hourly</p><h3>Workaround</h3><p>Use &lt;b&gt;split&lt;/b&gt; tunnel</p>",
    }


@pytest.mark.anyio
async def test_seeded_articles_are_pulled_as_known_errors_of_their_problems() -> None:
    instance = Instance()
    seed_instance(instance, 1, incidents=50)
    flagged = {p["sys_id"] for p in instance.rows("problem") if p["known_error"] == "true"}
    async with articles(instance) as snow:
        items = [i async for i in snow.pull(PullRequest(kind=RecordKind.KNOWN_ERROR))]
    changes = [i for i in items if isinstance(i, RemoteChange)]
    assert len(changes) == len(flagged) > 0
    for change in changes:
        assert isinstance(change.record, KnownError)
        assert change.record.status is KnownErrorStatus.PUBLISHED and change.record.workaround
        [link] = change.record.links
        assert link.target_ref is not None and link.target_ref.remote_id in flagged
    assert sorted(c.record.refs[0].key for c in changes if c.record) == [
        f"KB00{10001 + n}" for n in range(len(flagged))
    ]


@pytest.mark.anyio
async def test_articles_are_created_found_updated_and_linked_against_the_emulator() -> None:
    instance = Instance()
    async with articles(instance) as snow:
        problem = await snow.create(Problem(title="Relay overflow"), marker="p-1")
        assert problem.record is not None
        problem_ref = problem.record.refs[0]
        known = KnownError(title="Mail relay drops", workaround="Resend later")
        created = await snow.create(known, marker="ke-1")
        assert created.record is not None and created.marker == "ke-1"
        ref = created.record.refs[0]
        assert ref.key == "KB0010001" and ref.remote_type == ARTICLES
        found = await snow.find_by_marker(RecordKind.KNOWN_ERROR, "ke-1")
        assert [f.remote_id for f in found] == [created.remote_id]
        await snow.link(ref, problem_ref, LinkKind.KNOWN_ERROR_OF)
        change = FieldChange(field="status", old="draft", new="published")
        await snow.update(ref, FieldChanges(kind=RecordKind.KNOWN_ERROR, changes=(change,)))
        # Someone retires it in ServiceNow: a write based on "published" is refused.
        instance.update(ARTICLES, ref.remote_id, {"workflow_state": "retired"})
        stale = FieldChange(field="title", old="other title", new="x")
        with pytest.raises(RemoteChanged):
            await snow.update(ref, FieldChanges(kind=RecordKind.KNOWN_ERROR, changes=(stale,)))
        read = await snow.fetch(RecordKind.KNOWN_ERROR, ref.remote_id)
        with pytest.raises(RecordError, match="no journal"):
            note = Comment(body="x", created_at=WHEN)
            await snow.add_comment(ref, note, marker="c-1")
    row = instance.get(ARTICLES, ref.remote_id)
    assert row is not None
    assert (row["meta"], row["source_task"], row["workflow_state"]) == (
        "ke-1",
        problem.remote_id,
        "retired",
    )
    assert "Resend later" in row["text"]
    assert read is not None and isinstance(read.record, KnownError)
    assert read.record.status is KnownErrorStatus.RETIRED
    assert [
        (link.kind, link.target_ref.remote_id) for link in read.record.links if link.target_ref
    ] == [(LinkKind.KNOWN_ERROR_OF, problem.remote_id)]


@pytest.mark.anyio
async def test_a_new_article_names_its_problem_when_the_link_is_known() -> None:
    instance = Instance()
    async with articles(instance) as snow:
        problem = await snow.create(Problem(title="Relay overflow"), marker="p-1")
        assert problem.record is not None
        known = KnownError.model_validate(
            {
                "title": "Mail relay drops",
                "links": [{"kind": "known_error_of", "target_ref": problem.record.refs[0]}],
            }
        )
        created = await snow.create(known, marker="ke-1")
    assert instance.get(ARTICLES, created.remote_id)["source_task"] == problem.remote_id  # type: ignore[index]


# --- edited comments --------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_edited_comment_is_a_correction_posted_once_and_read_as_the_comment() -> None:
    instance = Instance(clock=TickingClock())  # each entry its own second, as edits are
    async with connector(instance) as snow:
        created = await snow.create(Incident(title="Disk full"), marker="m-1")
        assert created.record is not None
        ref = created.record.refs[0]
        note = Comment(id="01JC", body="Freed 2 GB", visibility=Visibility.PUBLIC, created_at=WHEN)
        copy = await snow.add_comment(ref, note, marker="01JC")
        edited = note.model_copy(update={"body": "Freed 20 GB", "refs": [copy]})
        await snow.update_comment(ref, edited)
        await snow.update_comment(ref, edited)  # a retry after a lost answer
        again = note.model_copy(update={"body": "Freed 25 GB", "refs": [copy]})
        await snow.update_comment(ref, again)
        read = await snow.fetch(RecordKind.INCIDENT, ref.remote_id)
    journal = instance.journal("incident", ref.remote_id)
    assert [row["element"] for row in journal] == ["comments"] * 3  # original + 2 corrections
    assert "Freed 2 GB" in journal[0]["value"]  # the original entry is never rewritten
    assert journal[1]["value"].startswith(mapping.CORRECTION_HEADER)
    assert read is not None and read.record is not None
    [comment] = read.record.comments
    assert (comment.id, comment.body, comment.refs[0].remote_id) == (
        "01JC",
        "Freed 25 GB",
        copy.remote_id,
    )
    assert comment.updated_at is not None


def test_a_correction_read_before_its_original_still_wins() -> None:
    target = connector().target
    note = Comment(id="01JC", body="new text", created_at=WHEN)
    rows = [
        {
            "sys_id": "f" * 32,
            "element": "comments",
            "value": mapping.correction_text(note),
            "sys_created_on": "2025-01-01 10:00:00",
        },
        {
            "sys_id": "0" * 32,
            "element": "comments",
            "value": mapping.comment_text(note.model_copy(update={"body": "old text"})),
            "sys_created_on": "2025-01-01 10:00:00",
        },
    ]
    from itsmhub_servicenow.connector import _fold

    comments: list[Comment] = []
    for row in rows:
        _fold(comments, mapping.to_comment(target, row), correction=mapping.is_correction(row))
    assert [(c.id, c.body, c.refs[0].remote_id) for c in comments] == [
        ("01JC", "new text", "0" * 32)
    ]


@pytest.mark.anyio
async def test_update_comment_looks_for_its_correction_before_writing() -> None:
    ref = ExternalRef(system="snow", remote_id="1" * 32, remote_type="incident")
    note = Comment(id="01JC", body="edited", visibility=Visibility.INTERNAL, created_at=WHEN)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        lookup = router.get("/api/now/table/sys_journal_field").respond(
            200, json={"result": [{"sys_id": "2" * 32}]}
        )
        async with connector() as snow:
            await snow.update_comment(ref, note)
    query = lookup.calls[0].request.url.params["sysparm_query"]
    assert query == (f"element_id={'1' * 32}^element=work_notes^valueLIKE{correction_marker(note)}")


# --- Batch API --------------------------------------------------------------------------


def decoded(body: str) -> Any:
    return json.loads(base64.b64decode(body))


def encoded(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


@pytest.mark.anyio
async def test_write_many_sends_one_batch_and_maps_each_items_status() -> None:
    refs = [
        ExternalRef(system="snow", remote_id=f"{n:032x}", remote_type="incident") for n in (1, 2, 3)
    ]
    current = [
        {"sys_id": f"{n:032x}", "number": f"INC{n}", "short_description": title, "state": "1"}
        | {"sys_created_on": "2025-01-01 00:00:00", "sys_updated_on": "2025-01-01 00:00:00"}
        for n, title in ((1, "one"), (2, "two"), (3, "moved by a person"))
    ]
    created_row = current[0] | {
        "sys_id": "9" * 32,
        "number": "INC9",
        "short_description": "new",
        "correlation_id": "m-9",
        "sys_mod_count": "0",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["rest_requests"]
        assert [(r["id"], r["method"]) for r in sent] == [
            ("0", "POST"),
            ("1", "PATCH"),
            ("2", "PATCH"),
        ]
        assert sent[0]["url"].startswith("/api/now/table/incident?")
        assert decoded(sent[0]["body"])["correlation_id"] == "m-9"
        assert sent[1]["url"].startswith(f"/api/now/table/incident/{refs[0].remote_id}?")
        assert decoded(sent[1]["body"]) == {"short_description": "renamed"}
        error = {
            "error": {"message": "Data policy", "detail": "state is mandatory"},
            "status": "failure",
        }
        version = {"result": {"sys_mod_count": "4", "sys_updated_on": "2025-02-01 00:00:00"}}
        return httpx.Response(
            200,
            json={
                "batch_request_id": "1",
                "serviced_requests": [
                    {"id": "0", "status_code": 201, "body": encoded({"result": created_row})},
                    {"id": "1", "status_code": 200, "body": encoded(version)},
                    {
                        "id": "2",
                        "status_code": 400,
                        "body": encoded(error),
                        "error_message": "Data policy",
                    },
                ],
                "unserviced_requests": [],
            },
        )

    writes: list[Write] = [
        WriteCreate(record=Incident(title="new"), marker="m-9"),
        update(refs[0], "title", "one", "renamed"),
        update(refs[1], "title", "two", "renamed too"),
        update(refs[2], "title", "three", "not sent"),
    ]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        listed = router.get("/api/now/table/incident").respond(200, json={"result": current})
        batch = router.post("/api/now/v1/batch").mock(side_effect=answer)
        async with connector() as snow:
            # Item 2 of the batch is the third write: the fourth is refused before sending.
            outcomes = await snow.write_many([writes[0], writes[1], writes[2], writes[3]])
    assert listed.call_count == 1 and batch.call_count == 1
    assert listed.calls[0].request.url.params["sysparm_query"].startswith("sys_idIN")
    created, renamed, refused, moved = outcomes
    assert isinstance(created, RemoteChange) and created.marker == "m-9"
    assert isinstance(renamed, RemoteVersion) and renamed.version == "4"
    assert isinstance(refused, RecordError) and "400" in str(refused)
    assert isinstance(moved, RemoteChanged)


@pytest.mark.anyio
async def test_unserviced_items_are_transient_and_a_missing_row_is_a_record_error() -> None:
    ref = ExternalRef(system="snow", remote_id="1" * 32, remote_type="incident")
    gone = ExternalRef(system="snow", remote_id="2" * 32, remote_type="incident")
    row = {"sys_id": "1" * 32, "short_description": "one", "state": "1"}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/now/table/incident").respond(200, json={"result": [row]})
        batch = router.post("/api/now/v1/batch").respond(
            200, json={"serviced_requests": [], "unserviced_requests": ["0"]}
        )
        async with connector() as snow:
            late, missing = await snow.write_many(
                [update(ref, "title", "one", "renamed"), update(gone, "title", "two", "x")]
            )
    assert isinstance(late, TransientError) and "time quota" in str(late)
    assert isinstance(missing, RecordError) and "no longer exists" in str(missing)
    assert len(json.loads(batch.calls[0].request.content)["rest_requests"]) == 1


@pytest.mark.anyio
async def test_write_many_against_the_emulator_matches_single_writes() -> None:
    instance = Instance()
    async with connector(instance) as snow:
        first = await snow.create(Incident(title="first"), marker="m-1")
        assert first.record is not None
        ref = first.record.refs[0]
        writes: list[Write] = [
            WriteCreate(record=Incident(title=f"bulk {n}", impact=1, urgency=2), marker=f"b-{n}")
            for n in range(3)
        ]
        writes.append(update(ref, "status", "new", "in_progress"))
        writes.append(update(ref, "title", "first", "first"))  # nothing differs: no write
        outcomes = await snow.write_many(writes)
        [found] = await snow.find_by_marker(RecordKind.INCIDENT, "b-2")
    assert [type(o).__name__ for o in outcomes] == ["RemoteChange"] * 3 + ["RemoteVersion"] * 2
    assert found is not None and found.record is not None and found.record.priority is not None
    assert found.record.priority.value == 2  # derived by the instance from impact × urgency
    assert instance.get("incident", ref.remote_id)["state"] == "2"  # type: ignore[index]
    assert len(instance.rows("incident")) == 4
