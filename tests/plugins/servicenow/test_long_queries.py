"""Long queries (vendor-apis.md §3.3): the emulator refuses a request line over its front
end's limit with 414, as an instance does; the connector never sends one, packing long
look-ups into the Batch API at no extra call; the Batch API echoes its id as a string."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx
import pytest

from itsmhub import PullRequest, RecordKind, RemoteChange
from itsmhub_servicenow.client import MAX_URL
from itsmhub_servicenow.connector import ServiceNowConnector
from itsmhub_servicenow.emulator import Instance, build_app, seed_instance
from itsmhub_servicenow.emulator.errors import MAX_REQUEST_TARGET

pytestmark = pytest.mark.anyio

BASE = "https://acme.service-now.com"
LONG_IN = ",".join(f"{n:032x}" for n in range(600))  # about 20 kB of sys_ids


def client(instance: Instance) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app(instance)),
        base_url=BASE,
        auth=("admin", "admin"),
    )


def test_the_connector_stays_well_under_the_emulators_limit() -> None:
    assert MAX_URL < MAX_REQUEST_TARGET


async def test_a_request_line_over_the_limit_is_refused_with_414() -> None:
    async with client(Instance()) as http:
        answer = await http.get(
            "/api/now/table/sys_journal_field", params={"sysparm_query": f"element_idIN{LONG_IN}"}
        )
    assert answer.status_code == 414
    assert answer.json() == {
        "error": {
            "message": "Request-URI Too Long",
            "detail": f"the request line is over {MAX_REQUEST_TARGET} bytes",
        },
        "status": "failure",
    }


async def test_the_batch_api_carries_a_long_get_and_echoes_its_id_as_a_string() -> None:
    url = f"/api/now/table/sys_user?sysparm_query=sys_idIN{LONG_IN}&sysparm_fields=sys_id"
    body = {
        "batch_request_id": 7,  # a number: the answer still names it "7"
        "rest_requests": [{"id": "a", "method": "GET", "url": url, "headers": []}],
    }
    async with client(Instance()) as http:
        answer = await http.post("/api/now/v1/batch", json=body)
    assert answer.status_code == 200
    data = answer.json()
    assert data["batch_request_id"] == "7"
    [item] = data["serviced_requests"]
    assert item["status_code"] == 200
    assert json.loads(base64.b64decode(item["body"])) == {"result": []}


async def test_a_big_page_reads_its_journal_in_one_call_without_a_long_url(
    make_connector: Callable[..., ServiceNowConnector],
) -> None:
    instance = Instance()
    seed_instance(instance, 5, incidents=400)
    expected = {r["element_id"] for r in instance.rows("sys_journal_field")}
    snow = make_connector(instance, page_size=500)
    async with snow:
        items = [item async for item in snow.pull(PullRequest(kind=RecordKind.INCIDENT))]
    changes = [i for i in items if isinstance(i, RemoteChange)]
    assert len(changes) == 400
    with_comments = {c.remote_id for c in changes if c.record.comments}
    assert with_comments == expected & {c.remote_id for c in changes}
    calls = instance.controls.calls
    entries = [r for r in instance.rows("sys_journal_field") if r["name"] == "incident"]
    journal_pages = -(-len(entries) // 500)
    # One page of incidents, one batch call per page of its journal (as many calls as
    # plain GETs would take), and no URL long enough to be refused.
    assert calls["GET /api/now/table/incident"] == 1
    assert calls["POST /api/now/v1/batch"] == journal_pages
    assert "GET /api/now/table/sys_journal_field" not in calls


async def test_short_look_ups_stay_plain_gets(
    make_connector: Callable[..., ServiceNowConnector],
) -> None:
    instance = Instance()
    seed_instance(instance, 5, incidents=20)
    snow = make_connector(instance, page_size=50)
    async with snow:
        [_ async for _ in snow.pull(PullRequest(kind=RecordKind.INCIDENT))]
    assert instance.controls.calls["GET /api/now/table/sys_journal_field"] == 1
    assert "POST /api/now/v1/batch" not in instance.controls.calls
