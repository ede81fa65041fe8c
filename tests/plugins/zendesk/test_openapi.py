"""Every operation the connector and the emulator share is checked against Zendesk's own
description (the pruned copy the repository keeps), and every answer validates."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from itsmhub import (
    Comment,
    ExternalRef,
    FieldChange,
    FieldChanges,
    Incident,
    LinkKind,
    PullRequest,
    RecordKind,
    WriteCreate,
    WriteUpdate,
)
from itsmhub.testing.openapi import OpenAPIContract
from itsmhub_zendesk.connector import ZendeskConnector
from itsmhub_zendesk.emulator import SeededComment, Seeder, Support

OPENAPI = Path(__file__).resolve().parents[3] / "plugins/zendesk/emulator/openapi"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def manifest() -> dict:
    return tomllib.loads((OPENAPI / "manifest.toml").read_text())


def test_the_pruned_copy_is_what_the_manifest_makes() -> None:
    made = manifest()
    pruned = json.loads((OPENAPI / made["output"]).read_text())
    kept = {
        f"{method.upper()} {path}"
        for path, item in pruned["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert kept == set(made["operations"])
    assert pruned["x-itsmhub"]["source"] == made["source"]
    written = [r["pointer"] for r in pruned["x-itsmhub"]["relaxations"]]
    assert written == [r["pointer"] for r in made["relaxations"]] + [
        "every operation: responses default"
    ]
    for relaxation in [*made["relaxations"], *made["every_operation"]]:
        assert len(relaxation["why"]) > 40, relaxation  # each one says why
    for item in pruned["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert "default" in operation["responses"]


@pytest.mark.anyio
async def test_every_operation_used_is_checked_and_valid(
    connector: ZendeskConnector,
    api: httpx.AsyncClient,
    support: Support,
    contract: OpenAPIContract,
    operations,
    later,
) -> None:
    seeder = Seeder(support)
    problem = seeder.ticket("Relay", type="problem", created_at=START - timedelta(hours=2))
    incident = seeder.ticket(
        "Mail lost",
        problem=problem,
        created_at=START - timedelta(hours=1),
        comments=[SeededComment("looking", public=False)],
    )
    seeder.ticket("To delete", created_at=START - timedelta(hours=1))
    await api.delete("/api/v2/tickets/3")
    ref = ExternalRef(system="desk", remote_id=str(incident.id))
    for stream in connector.streams():
        [_ async for _ in connector.pull(PullRequest(stream=stream))]
    await connector.check()
    await connector.fetch(RecordKind.INCIDENT, ref.remote_id)
    await connector.fetch(RecordKind.INCIDENT, "404")
    created = await connector.create(Incident(title="new"), marker="m-1")
    await connector.find_by_marker(RecordKind.INCIDENT, "m-1")
    await connector.resolve_people(
        [ExternalRef(system="desk", remote_id=str(incident.requester_id))]
    )
    later(2)
    change = FieldChange(field="title", old="Mail lost", new="Mail lost again")
    await connector.update(ref, FieldChanges(kind=RecordKind.INCIDENT, changes=(change,)))
    await connector.add_comment(ref, Comment(body="hi", created_at=START), marker="c")
    await connector.unlink(
        ref, ExternalRef(system="desk", remote_id=str(problem.id)), LinkKind.CAUSED_BY
    )
    writes = [
        WriteCreate(record=Incident(title="bulk"), marker="m-2"),
        WriteUpdate(
            ref=ExternalRef(system="desk", remote_id=created.remote_id),
            changes=FieldChanges(
                kind=RecordKind.INCIDENT, changes=(FieldChange(field="title", old="new", new="x"),)
            ),
        ),
    ]
    deferred = await connector.write_many(writes)
    later(3)
    await connector.job_outcomes([d.job_id for d in deferred])  # type: ignore[union-attr]
    await api.get(f"/api/v2/job_statuses/{deferred[0].job_id}")  # type: ignore[union-attr]
    await api.get("/api/v2/problems")
    await api.get(f"/api/v2/tickets/{problem.id}/incidents")
    assert operations(contract) == set(manifest()["operations"])
    contract.raise_for_violations()
    errors = [c for c in contract.checked if c.startswith("GET /api/v2/tickets/404")]
    assert errors, "an error answer was checked too"
