"""Every column the connector reads or writes is one the emulator stores, as an instance
does; the references admins route on come back with display values; callers resolve to
their e-mail addresses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from itsmhub import (
    ExternalRef,
    Incident,
    KnownError,
    PersonRef,
    Problem,
    RecordKind,
)
from itsmhub_servicenow import mapping
from itsmhub_servicenow.connector import ServiceNowConnector
from itsmhub_servicenow.emulator import Instance, build_app, seed_instance
from itsmhub_servicenow.emulator.state import COLUMNS, REFERENCES

pytestmark = pytest.mark.anyio

SYS_ID = "0123456789abcdef0123456789abcdef"
KNOWN_ERROR_ARTICLES = {
    "use_known_error_articles": True,
    "tables": {"known_error_article": "kb_template_known_error_article"},
}


def here(remote_id: str = SYS_ID) -> PersonRef:
    return PersonRef(external=ExternalRef(system="snow", remote_id=remote_id))


#: Records with every field the mapping writes set, ended so the close fields are added.
RECORDS: dict[RecordKind, Any] = {
    RecordKind.INCIDENT: Incident(
        title="t", description="d", status="resolved", impact=1, urgency=2,
        category="network", assignment_group="network-ops", assignee=here(), reporter=here(),
        service=SYS_ID, resolution_code="workaround", resolution_notes="n",
    ),
    RecordKind.PROBLEM: Problem(
        title="t", description="d", status="resolved", impact=1, urgency=2,
        category="network", assignment_group="network-ops", assignee=here(), reporter=here(),
        service=SYS_ID, resolution_code="fixed", known_error=True, root_cause="c",
        workaround="w", fix="f",
    ),
    RecordKind.KNOWN_ERROR: KnownError(
        title="t", description="d", workaround="w", cause="c", status="published"
    ),
}  # fmt: skip
#: The reference columns ``link`` writes, by the table of the record holding the link.
LINK_COLUMNS = {
    "incident": {"problem_id"},
    "problem": {"duplicate_of"},
    "kb_template_known_error_article": {"source_task"},
}


@pytest.mark.parametrize("kind", list(RECORDS), ids=str)
def test_every_column_the_connector_reads_or_writes_is_stored(
    kind: RecordKind, make_connector: Callable[..., ServiceNowConnector]
) -> None:
    snow = make_connector(**KNOWN_ERROR_ARTICLES)
    table = snow.target.table(kind)
    read = set(snow.target.fields(kind))
    record = RECORDS[kind]
    _, created = snow._create_payload(record, marker="itsmhub-01")
    updated = mapping.to_payload(snow.target, kind, record.model_dump(mode="json"))
    written = set(created) | set(updated) | LINK_COLUMNS[table]
    if kind is not RecordKind.KNOWN_ERROR:
        written |= {"comments", "work_notes"}  # the journal fields
        # The references admins route on are stored on every task record.
        assert {"business_service", "cmdb_ci", "assignment_group"} <= set(COLUMNS[table])
    assert read - set(COLUMNS[table]) == set(), f"{table} lacks columns the mapping reads"
    assert written - set(COLUMNS[table]) == set(), f"{table} lacks columns the mapping writes"


def test_journal_and_people_columns_are_stored() -> None:
    assert set(mapping.JOURNAL_FIELDS) <= set(COLUMNS["sys_journal_field"])
    assert {"sys_id", "name", "email", "user_name"} <= set(COLUMNS["sys_user"])
    for column, table in REFERENCES.items():
        assert table in COLUMNS, f"{column} points at {table}, which the emulator lacks"


async def test_references_admins_route_on_come_with_display_values() -> None:
    instance = Instance()
    seed_instance(instance, 3, incidents=10)
    fields = "number,caller_id,assignment_group,business_service,cmdb_ci"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app(instance)),
        base_url="https://acme.service-now.com",
        auth=("admin", "admin"),
    ) as client:
        answer = await client.get(
            "/api/now/table/incident",
            params={"sysparm_fields": fields, "sysparm_display_value": "all", "sysparm_limit": 5},
        )
    assert answer.status_code == 200
    for row in answer.json()["result"]:
        for column in ("caller_id", "assignment_group", "business_service", "cmdb_ci"):
            value = row[column]
            assert len(value["value"]) == 32 and value["display_value"], (column, value)
            assert value["link"].endswith(f"/{REFERENCES[column]}/{value['value']}")
    services = {r["name"] for r in instance.rows("cmdb_ci_service")}
    assert "Remote Access (VPN)" in services


async def test_callers_resolve_to_names_and_e_mails(
    make_connector: Callable[..., ServiceNowConnector],
) -> None:
    instance = Instance()
    seed_instance(instance, 3, incidents=10)
    callers = {r["caller_id"] for r in instance.rows("incident")}
    snow = make_connector(instance)
    async with snow:
        people = await snow.resolve_people(
            [ExternalRef(system="snow", remote_id=c, remote_type="sys_user") for c in callers]
        )
    assert set(people) == callers
    assert all(
        p.email and p.email.endswith("@example.com") and p.display_name for p in people.values()
    )
