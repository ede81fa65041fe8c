"""The connector's check and its webhook verification (sync-guarantees.md B.2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from itsmhub import RecordKind, WebhookRejected, WebhookRequest
from itsmhub_jira.emulator import Site
from itsmhub_jira.webhooks import signature

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "webhook-secret"


@pytest.mark.anyio
async def test_check_reports_each_item(site: Site, connector) -> None:
    result = await connector.check()
    assert result.ok, result.items
    names = [item.name for item in result.items]
    assert names == ["auth", "project OPS", "permissions OPS", "link types", "custom fields"]
    assert "America/New_York" in result.items[0].detail


@pytest.mark.anyio
async def test_check_names_what_is_missing_and_the_fix(site: Site, make_connector) -> None:
    site.denied.add("TRANSITION_ISSUES")
    mapping = {
        "link_type": "Causes",
        "custom_fields": {"root_cause": "customfield_99999"},
        "issue_types": {"incident": "Incident", "problem": "Problem", "known_error": "Known Error"},
    }
    connector = make_connector(projects=["OPS", "NOPE"], mapping=mapping)
    items = {item.name: item for item in (await connector.check()).items}
    assert not items["project OPS"].ok and "Known Error" in items["project OPS"].detail
    assert items["permissions OPS"].detail == "missing: TRANSITION_ISSUES"
    assert not items["project NOPE"].ok and "NOPE" in (items["project NOPE"].fix or "")
    assert items["link types"].detail == "missing: Causes"
    assert "root_cause = customfield_99999" in items["custom fields"].detail


@pytest.mark.anyio
async def test_check_stops_at_refused_credentials(site: Site, connector) -> None:
    site.api_token = "rotated"
    result = await connector.check()
    assert [(i.name, i.ok) for i in result.items] == [("auth", False)]


def delivery(payload: dict, *, secret: str = SECRET, **headers: str) -> WebhookRequest:
    body = json.dumps(payload).encode()
    given = {
        "X-Hub-Signature": signature(secret, body),
        "X-Atlassian-Webhook-Identifier": "d-1",
        **headers,
    }
    return WebhookRequest(headers=given, body=body, received_at=NOW)


ISSUE_EVENT = {
    "timestamp": int(NOW.timestamp() * 1000) - 60_000,
    "webhookEvent": "jira:issue_updated",
    "issue": {
        "id": "10001",
        "key": "OPS-1",
        "fields": {"issuetype": {"name": "Problem"}, "labels": ["known-error"]},
    },
}


@pytest.mark.anyio
async def test_a_signed_delivery_names_the_issue_and_its_kind(make_connector) -> None:
    connector = make_connector(webhook_secret="env:JIRA_WEBHOOK")
    reply = connector.verify_webhook(delivery(ISSUE_EVENT))
    [event] = reply.events
    assert (event.remote_id, event.kind, event.delivery_id) == (
        "10001",
        RecordKind.KNOWN_ERROR,
        "d-1",
    )
    assert event.event_type == "jira:issue_updated"
    link = {
        "timestamp": ISSUE_EVENT["timestamp"],
        "webhookEvent": "issuelink_created",
        "issueLink": {"id": 5, "sourceIssueId": 10002, "destinationIssueId": 10001},
    }
    ends = connector.verify_webhook(delivery(link)).events
    assert [(e.remote_id, e.delivery_id) for e in ends] == [
        ("10002", "d-1:10002"),
        ("10001", "d-1:10001"),
    ]


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (delivery(ISSUE_EVENT, secret="guess"), "does not match"),
        (delivery(ISSUE_EVENT, **{"X-Hub-Signature": "sha1=abc"}), "no sha256"),
        (
            delivery(
                {**ISSUE_EVENT, "timestamp": int((NOW - timedelta(hours=2)).timestamp() * 1000)}
            ),
            "outside the hour",
        ),
        (delivery({**ISSUE_EVENT, "timestamp": "soon"}), "no timestamp"),
        (WebhookRequest(method="GET", received_at=NOW), "not a GET"),
    ],
    ids=["wrong secret", "other method", "stale", "no timestamp", "GET"],
)
@pytest.mark.anyio
async def test_forged_stale_or_odd_deliveries_are_rejected(
    make_connector, request_, reason
) -> None:
    connector = make_connector(webhook_secret="env:JIRA_WEBHOOK")
    with pytest.raises(WebhookRejected, match=reason):
        connector.verify_webhook(request_)


@pytest.mark.anyio
async def test_a_tampered_body_and_a_missing_secret_are_rejected(make_connector) -> None:
    signed = delivery(ISSUE_EVENT)
    tampered = signed.model_copy(update={"body": signed.body.replace(b"10001", b"10002")})
    with pytest.raises(WebhookRejected, match="does not match"):
        make_connector(webhook_secret="env:JIRA_WEBHOOK").verify_webhook(tampered)
    with pytest.raises(WebhookRejected, match="no webhook secret"):
        make_connector().verify_webhook(signed)
