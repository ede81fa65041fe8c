"""What people do in their own tools during the demo, through each vendor's REST API as
their browser would: IT operations documents a workaround on the problem in ServiceNow;
someone reports the VPN again in Zendesk; the help desk reads that ticket."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel

from .story import Ticket


class TicketComment(BaseModel):
    """A comment as Zendesk shows it to an agent."""

    body: str
    public: bool


class Agents:
    """Clients signed in as each tool's agent, with the emulators' own credentials."""

    def __init__(self, urls: Mapping[str, str], credentials: Mapping[str, Mapping[str, str]]):
        snow, zendesk = credentials["servicenow"], credentials["zendesk"]
        self.servicenow = httpx.AsyncClient(
            base_url=urls["servicenow"], auth=(snow["username"], snow["password"])
        )
        self.zendesk = httpx.AsyncClient(
            base_url=urls["zendesk"], auth=(f"{zendesk['email']}/token", zendesk["api_token"])
        )

    async def aclose(self) -> None:
        await self.servicenow.aclose()
        await self.zendesk.aclose()

    async def mark_known_error(self, number: str, workaround: str) -> str:
        """Flag problem ``number`` a known error with ``workaround``; return its sys_id."""
        found = await self.servicenow.get(
            "/api/now/table/problem",
            params={"sysparm_query": f"number={number}", "sysparm_fields": "sys_id"},
        )
        found.raise_for_status()
        sys_id = str(found.json()["result"][0]["sys_id"])
        changed = await self.servicenow.patch(
            f"/api/now/table/problem/{sys_id}",
            json={"known_error": "true", "workaround": workaround},
        )
        changed.raise_for_status()
        return sys_id

    async def report(self, ticket: Ticket, requester_name: str) -> int:
        """File ``ticket`` in Zendesk for its reporter; return the ticket's id."""
        body: dict[str, Any] = {
            "ticket": {
                "subject": ticket.title,
                "comment": {"body": ticket.description or ticket.title},
                "type": "incident",
                "requester": {"email": ticket.reporter, "name": requester_name},
                "tags": [ticket.service.lower()] if ticket.service else [],
            }
        }
        created = await self.zendesk.post("/api/v2/tickets", json=body)
        created.raise_for_status()
        return int(created.json()["ticket"]["id"])

    async def comments(self, ticket_id: int) -> list[TicketComment]:
        """The ticket's comments, oldest first, as the help desk sees them."""
        answer = await self.zendesk.get(f"/api/v2/tickets/{ticket_id}/comments")
        answer.raise_for_status()
        return [TicketComment.model_validate(c) for c in answer.json()["comments"]]
