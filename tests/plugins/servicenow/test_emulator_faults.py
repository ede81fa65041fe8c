"""Batch API, rate-limit rules and injected faults, driven both by Python and by HTTP."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from itsmhub.emulation import DroppedConnection, Fault, RateLimitRule
from itsmhub_servicenow.emulator import Instance

pytestmark = pytest.mark.anyio
INC = "/api/now/table/incident"


def _b64(data: object) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


async def test_batch_runs_sub_requests(client: httpx.AsyncClient, instance: Instance) -> None:
    existing = instance.insert("incident", {"short_description": "old"})
    headers = [{"name": "Content-Type", "value": "application/json"}]
    body = {
        "batch_request_id": "1",
        "rest_requests": [
            {"id": "11", "method": "POST", "url": INC, "headers": headers,
             "body": _b64({"short_description": "new", "work_notes": "from batch"})},
            {"id": "12", "method": "PATCH", "url": f"{INC}/{existing['sys_id']}",
             "headers": headers, "body": _b64({"state": "2"}), "exclude_response_headers": True},
            {"id": "13", "method": "GET", "url": f"{INC}/{'0' * 32}", "headers": []},
        ],
    }  # fmt: skip
    response = await client.post("/api/now/v1/batch", json=body)
    assert response.status_code == 200
    data = response.json()
    assert (data["batch_request_id"], data["unserviced_requests"]) == ("1", [])
    created, patched, missing = data["serviced_requests"]
    assert (created["id"], created["status_code"], created["status_text"]) == ("11", 201, "Created")
    assert json.loads(base64.b64decode(created["body"]))["result"]["short_description"] == "new"
    assert any(h["name"].lower() == "content-type" for h in created["headers"])
    assert isinstance(created["execution_time"], int)
    assert (patched["status_code"], patched["headers"]) == (200, [])
    assert instance.get("incident", existing["sys_id"])["state"] == "2"  # type: ignore[index]
    assert missing["status_code"] == 404 and missing["error_message"] == "No Record found"
    assert [r["value"] for r in instance.rows("sys_journal_field")] == ["from batch"]


async def test_batch_needs_auth_and_a_valid_body(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    assert (await anonymous.post("/api/now/v1/batch", json={})).status_code == 401
    assert (await client.post("/api/now/v1/batch", json={"x": 1})).status_code == 400


async def test_rate_limit_rule(client: httpx.AsyncClient, instance: Instance, clock) -> None:
    rule = instance.controls.rate_limits.add(RateLimitRule(limit=2, window=3600))
    ok = await client.get(INC)
    assert ok.headers["X-RateLimit-Limit"] == "2"
    assert ok.headers["X-RateLimit-Rule"] == rule.id
    reset = int(ok.headers["X-RateLimit-Reset"])
    assert reset % 3600 == 0 and reset > clock().timestamp()
    await client.get(INC)
    denied = await client.get(INC)
    assert denied.status_code == 429
    assert int(denied.headers["Retry-After"]) == reset - int(clock().timestamp())
    assert denied.json() == {
        "error": {
            "message": "Rate limit exceeded",
            "detail": "Rate limit of 2 requests per hour exceeded",
        },
        "status": "failure",
    }
    clock.advance(3600)
    assert (await client.get(INC)).status_code == 200


async def test_rate_limit_rule_by_method_and_path(
    client: httpx.AsyncClient, instance: Instance
) -> None:
    rule = RateLimitRule(limit=0, path=f"{INC}*", methods=frozenset({"POST"}))
    instance.controls.rate_limits.add(rule)
    assert (await client.get(INC)).status_code == 200
    assert "X-RateLimit-Limit" not in (await client.get("/api/now/table/problem")).headers
    assert (await client.post(INC, json={})).status_code == 429


async def test_injected_status_faults_are_consumed(
    client: httpx.AsyncClient, instance: Instance
) -> None:
    instance.controls.faults.inject(Fault(status=503, times=2))
    instance.controls.faults.inject(Fault(status=429, retry_after=7))
    first = await client.get(INC)
    assert first.status_code == 503 and first.json()["status"] == "failure"
    assert (await client.get(INC)).status_code == 503
    limited = await client.get(INC)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert (await client.get(INC)).status_code == 200


async def test_latency_and_dropped_connection(
    client: httpx.AsyncClient, instance: Instance, sleep
) -> None:
    instance.controls.faults.inject(Fault(delay=2.5))
    assert (await client.get(INC)).status_code == 200
    assert sleep.calls == [2.5]
    instance.controls.faults.inject(Fault(drop=True))
    with pytest.raises(DroppedConnection):
        await client.get(INC)
    assert (await client.get(INC)).status_code == 200


async def test_admin_api(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    await client.post(INC, json={})
    queued = await anonymous.post("/_emulator/faults", json={"status": 500, "count": 1})
    assert queued.status_code == 201
    assert (await client.get(INC)).status_code == 500
    rule = await anonymous.post("/_emulator/rate_limits", json={"limit": 1, "window": 60})
    assert len(rule.json()["id"]) == 32
    await client.get(INC)
    assert (await client.get(INC)).status_code == 429
    assert (await anonymous.delete("/_emulator/rate_limits")).status_code == 204
    await anonymous.post("/_emulator/faults", json={"status": 500, "count": 3})
    assert (await anonymous.delete("/_emulator/faults")).status_code == 204
    assert (await client.get(INC)).status_code == 200
    state = (await anonymous.get("/_emulator/state")).json()
    assert state["tables"]["incident"] == 1
    assert (await anonymous.post("/_emulator/reset", json={"seed": 3})).status_code == 204
    state = (await anonymous.get("/_emulator/state")).json()
    assert state["tables"]["incident"] == 50
    await anonymous.post("/_emulator/reset")
    assert (await anonymous.get("/_emulator/state")).json()["tables"]["incident"] == 0
