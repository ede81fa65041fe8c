"""The emulated Tickets API: what Zendesk accepts, refuses and answers (every answer is
checked against Zendesk's own description by the ``transport`` fixture)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from itsmhub_zendesk.emulator import Support

pytestmark = pytest.mark.anyio


async def create(api: httpx.AsyncClient, **ticket: Any) -> dict[str, Any]:
    body = {"comment": {"body": "It is broken"}, "subject": "Broken", **ticket}
    response = await api.post("/api/v2/tickets", json={"ticket": body})
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


async def test_auth_takes_an_agent_token_or_a_bearer_and_refuses_the_rest(
    api: httpx.AsyncClient, transport: httpx.AsyncBaseTransport, support: Support
) -> None:
    assert (await api.get("/api/v2/users/me")).json()["user"]["role"] == "admin"
    support.account.add_user("Eve", "eve@example.com", role="end-user")
    tries: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic " + base64.b64encode(b"admin@example.com:pw").decode()},
        {
            "Authorization": "Basic "
            + base64.b64encode(b"eve@example.com/token:zendesk-emulator-token").decode()
        },
        {"Authorization": "Basic !!"},
    ]
    async with httpx.AsyncClient(transport=transport, base_url="https://acme.zendesk.com") as raw:
        for headers in tries:
            refused = await raw.get("/api/v2/users/me", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.json() == {"error": "Couldn't authenticate you"}
        bearer = {"Authorization": "Bearer zendesk-emulator-oauth-token"}
        assert (await raw.get("/api/v2/users/me", headers=bearer)).status_code == 200
        form = {
            "grant_type": "client_credentials",
            "client_id": "itsmhub",
            "client_secret": "itsmhub-secret",
        }
        token = (await raw.post("/oauth/tokens", json=form)).json()["access_token"]
        minted = {"Authorization": f"Bearer {token}"}
        assert (await raw.get("/api/v2/users/me.json", headers=minted)).status_code == 200


async def test_a_create_answers_201_with_location_and_what_zendesk_filled_in(
    api: httpx.AsyncClient,
) -> None:
    response = await api.post(
        "/api/v2/tickets.json",
        json={"ticket": {"subject": "VPN", "comment": {"body": "Down"}, "type": "incident"}},
    )
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert response.headers["Location"].endswith(f"/api/v2/tickets/{ticket['id']}.json")
    assert (ticket["status"], ticket["description"], ticket["problem_id"]) == ("new", "Down", None)
    assert "priority" not in ticket and ticket["requester_id"] == ticket["submitter_id"]
    assert response.json()["audit"]["events"][-1]["type"] == "Comment"


@pytest.mark.parametrize(
    ("ticket", "field"),
    [
        ({"subject": "x"}, "base"),
        ({"comment": {"body": "x"}, "priority": "p1"}, "priority"),
        ({"comment": {"body": "x"}, "type": "bug"}, "type"),
        ({"comment": {"body": "x"}, "assignee_id": 1}, "assignee_id"),
        ({"comment": {"body": "x"}, "group_id": 5}, "group_id"),
    ],
)
async def test_an_invalid_create_is_refused_as_record_invalid(
    api: httpx.AsyncClient, ticket: dict[str, Any], field: str
) -> None:
    response = await api.post("/api/v2/tickets", json={"ticket": ticket})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RecordInvalid" and field in body["details"]


async def test_problem_links_must_point_at_a_problem_from_an_incident(
    api: httpx.AsyncClient,
) -> None:
    problem = await create(api, type="problem")
    question = await create(api, type="question")
    incident = await create(api, type="incident", problem_id=problem["id"])
    assert incident["problem_id"] == problem["id"]
    for ticket_id, problem_id in (
        (question["id"], problem["id"]),
        (incident["id"], question["id"]),
    ):
        refused = await api.put(
            f"/api/v2/tickets/{ticket_id}", json={"ticket": {"problem_id": problem_id}}
        )
        assert refused.status_code == 422 and "problem_id" in refused.json()["details"]
    shown = (await api.get(f"/api/v2/tickets/{problem['id']}")).json()["ticket"]
    assert shown["has_incidents"] is True
    linked = (await api.get(f"/api/v2/tickets/{problem['id']}/incidents")).json()
    assert [t["id"] for t in linked["tickets"]] == [incident["id"]]
    problems = (await api.get("/api/v2/problems")).json()
    assert [t["id"] for t in problems["tickets"]] == [problem["id"]] and problems["count"] == 1
    # Made a problem itself, the incident loses its problem.
    moved = await api.put(f"/api/v2/tickets/{incident['id']}", json={"ticket": {"type": "problem"}})
    assert moved.json()["ticket"]["problem_id"] is None


async def test_safe_update_refuses_a_stale_stamp_with_409(api: httpx.AsyncClient, later) -> None:
    ticket = await create(api)
    later(5)
    stale = {"subject": "mine", "safe_update": True, "updated_stamp": "2020-01-01T00:00:00Z"}
    refused = await api.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": stale})
    assert refused.status_code == 409 and refused.json()["error"] == "UpdateConflict"
    fresh = stale | {"updated_stamp": ticket["updated_at"]}
    done = await api.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": fresh})
    assert done.status_code == 200 and done.json()["ticket"]["subject"] == "mine"
    assert done.json()["ticket"]["updated_at"] != ticket["updated_at"]


async def test_an_update_that_changes_nothing_is_not_saved(api: httpx.AsyncClient, later) -> None:
    ticket = await create(api, subject="Same")
    later(5)
    again = await api.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"subject": "Same"}})
    assert again.json()["ticket"]["updated_at"] == ticket["updated_at"]
    assert "audit" not in again.json()


async def test_tags_are_replaced_by_tags_and_merged_by_additional_and_remove_tags(
    api: httpx.AsyncClient,
) -> None:
    ticket = await create(api, tags=["VPN", "eu west"])
    assert ticket["tags"] == ["vpn", "eu", "west"]
    path = f"/api/v2/tickets/{ticket['id']}"
    merged = await api.put(
        path, json={"ticket": {"additional_tags": ["p1"], "remove_tags": ["eu"]}}
    )
    assert merged.json()["ticket"]["tags"] == ["vpn", "west", "p1"]
    replaced = await api.put(path, json={"ticket": {"tags": ["only"]}})
    assert replaced.json()["ticket"]["tags"] == ["only"]


async def test_comments_are_added_through_updates_and_listed_by_cursor(
    api: httpx.AsyncClient, support: Support
) -> None:
    ticket = await create(api)
    path = f"/api/v2/tickets/{ticket['id']}"
    for n, public in enumerate((True, False, True)):
        answer = await api.put(
            path, json={"ticket": {"comment": {"body": f"c{n}", "public": public}}}
        )
        [event] = [e for e in answer.json()["audit"]["events"] if e["type"] == "Comment"]
        assert event["public"] is public
    first = (await api.get(f"{path}/comments", params={"page[size]": 2})).json()
    assert [c["body"] for c in first["comments"]] == ["It is broken", "c0"]
    assert first["meta"]["has_more"] is True
    after = first["meta"]["after_cursor"]
    rest = (
        await api.get(f"{path}/comments", params={"page[size]": 2, "page[after]": after})
    ).json()
    assert [(c["body"], c["public"]) for c in rest["comments"]] == [("c1", False), ("c2", True)]
    assert rest["meta"]["has_more"] is False
    offset = (await api.get(f"{path}/comments", params={"sort_order": "desc"})).json()
    assert offset["count"] == 4 and offset["comments"][0]["body"] == "c2"


async def test_closed_tickets_refuse_updates(api: httpx.AsyncClient) -> None:
    ticket = await create(api, status="closed")
    refused = await api.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"subject": "x"}})
    assert refused.status_code == 422 and "status" in refused.json()["details"]


async def test_lists_by_external_id_return_every_ticket_carrying_it(
    api: httpx.AsyncClient,
) -> None:
    one = await create(api, external_id="m-1")
    two = await create(api, external_id="m-1")
    await create(api, external_id="m-2")
    listed = (await api.get("/api/v2/tickets", params={"external_id": "m-1"})).json()
    assert [t["id"] for t in listed["tickets"]] == [one["id"], two["id"]]
    many = (await api.get("/api/v2/tickets/show_many", params={"ids": f"{two['id']},999"})).json()
    assert [t["id"] for t in many["tickets"]] == [two["id"]]


async def test_deleted_tickets_are_gone_from_the_api(api: httpx.AsyncClient) -> None:
    ticket = await create(api)
    path = f"/api/v2/tickets/{ticket['id']}"
    assert (await api.delete(path)).status_code == 204
    missing = await api.get(path)
    assert missing.status_code == 404
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert (await api.delete(path)).status_code == 404
    assert (await api.get("/api/v2/tickets")).json()["tickets"] == []


async def test_unknown_paths_and_bodies_get_zendesk_errors(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v2/nothing")).json()["error"] == "RecordNotFound"
    bad = await api.post(
        "/api/v2/tickets", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidValue"
    users = (await api.get("/api/v2/users/show_many", params={"ids": "1,2"})).json()
    assert users == {"users": []}
