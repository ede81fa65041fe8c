"""The daemon end to end, in this process: the Jira and ServiceNow emulators served on
127.0.0.1, the daemon's own HTTP server on a loopback socket. A change made through
Jira's API reaches ServiceNow through the webhook path (Jira is not polled again), and a
change made through ServiceNow's API reaches Jira through polling (ServiceNow sends no
webhooks)."""

from __future__ import annotations

import base64
from typing import Any

import anyio
import httpx
import pytest
from daemon_helpers import eventually

from itsmhub.config import load_config
from itsmhub.daemon.runner import Daemon
from itsmhub.emulation.serving import bind
from itsmhub.engine import open_hub

pytestmark = pytest.mark.anyio

SCHEDULES = """
[daemon.schedules.jira]
interval = "1h"
[daemon.schedules.snow]
interval = "1s"
jitter = "0s"
"""


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


JIRA_AUTH = basic("itsmhub@example.com", "jira-emulator-token")
SNOW_AUTH = basic("admin", "admin")


async def test_changes_travel_by_webhook_and_by_polling(systems, plugins) -> None:
    world = systems(incidents=3)
    config = load_config(world.config(schedules=SCHEDULES), plugins)
    sock = bind("127.0.0.1", 0)
    host, port = sock.getsockname()[:2]
    url = f"http://{host}:{port}"
    async with open_hub(config, plugins) as hub, anyio.create_task_group() as group:
        daemon = Daemon(hub, worker="test-worker", sock=sock, handle_signals=False)
        group.start_soon(daemon.run)
        snow = world.instances["snow"].tables["incident"]
        await eventually(lambda: len(snow) == 3, "the first cycle copies Jira's incidents")
        async with httpx.AsyncClient(timeout=10) as client:
            hook = await client.post(
                f"{world.jira_url}/rest/webhooks/1.0/webhook",
                headers=JIRA_AUTH,
                json={
                    "name": "itsmhub",
                    "url": f"{url}/webhooks/jira",
                    "events": ["jira:issue_updated", "jira:issue_created"],
                    "secret": "a-webhook-secret-for-tests",
                },
            )
            assert hook.status_code == 201, hook.text
            issue = next(i for i in world.site.issues.values() if i.issue_type == "Incident")
            edit = await client.put(
                f"{world.jira_url}/rest/api/3/issue/{issue.key}",
                headers=JIRA_AUTH,
                json={"fields": {"summary": "VPN down (edited in Jira)"}},
            )
            assert edit.status_code == 204, edit.text

            # The webhook path: Jira's poll is an hour away.
            await eventually(
                lambda: (
                    "VPN down (edited in Jira)" in {r["short_description"] for r in snow.values()}
                ),
                "the edit reaches ServiceNow through the webhook",
            )
            assert [r.connector for r in await hub.store.recent_runs("jira", 5)] == ["jira"]
            [event] = await _events(hub, "jira")
            assert event["status"] == "done" and event["remote_id"] == issue.id

            # The polling path: ServiceNow sends no webhooks.
            sys_id = next(k for k, r in snow.items() if r["short_description"].startswith("VPN"))
            patch = await client.patch(
                f"{world.snow_urls['snow']}/api/now/table/incident/{sys_id}",
                headers={**SNOW_AUTH, "Accept": "application/json"},
                json={"short_description": "VPN down (edited in ServiceNow)"},
            )
            assert patch.status_code == 200, patch.text
            await eventually(
                lambda: issue.summary == "VPN down (edited in ServiceNow)",
                "the edit reaches Jira through ServiceNow's poll",
            )

            health = await client.get(f"{url}/healthz")
            ready = await client.get(f"{url}/readyz")
            metrics = (await client.get(f"{url}/metrics")).text
        daemon.stop("the test is over")
    assert health.json()["status"] == "ok" and health.json()["worker"] == "test-worker"
    assert ready.status_code == 200, ready.json()
    assert 'itsmhub_webhook_deliveries_total{connector="jira",result="queued"}' in metrics
    assert 'itsmhub_records_pushed_total{connector="snow"}' in metrics
    assert 'itsmhub_api_calls_total{vendor="servicenow"}' in metrics
    assert "itsmhub_webhook_latency_seconds_count" in metrics
    assert 'itsmhub_lease_held{lease="connector:jira"} 1.0' in metrics


async def _events(hub: Any, name: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from itsmhub.store.schema import webhook_events

    async with hub.store.engine.connect() as conn:
        rows = (
            await conn.execute(select(webhook_events).where(webhook_events.c.connector == name))
        ).all()
    return [row._asdict() for row in rows]
