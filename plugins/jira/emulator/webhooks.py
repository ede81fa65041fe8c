"""Admin webhooks: registered through ``/rest/webhooks/1.0/webhook``, delivered to their
URL with Jira's headers (vendor-apis.md §2.8): ``X-Hub-Signature: sha256=<hex HMAC of the
body>`` when the webhook has a secret, and ``X-Atlassian-Webhook-Identifier``, which a
redelivery keeps (``X-Atlassian-Webhook-Retry`` counts them)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from . import render
from .jql import Context, JqlError, parse
from .model import Change, Comment, Issue, IssueLink

if TYPE_CHECKING:
    from .state import Site

EVENTS = (
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "issuelink_created",
    "issuelink_deleted",
)


@dataclass
class Hook:
    id: int
    name: str
    url: str
    events: list[str]
    jql: str | None = None
    exclude_body: bool = False
    secret: str | None = None
    enabled: bool = True

    def describe(self, base: str) -> dict[str, Any]:
        """As Jira lists it: everything but the secret, which is write-only."""
        return {
            "self": f"{base}/rest/webhooks/1.0/webhook/{self.id}",
            "name": self.name,
            "url": self.url,
            "events": self.events,
            "filters": {"issue-related-events-section": self.jql or ""},
            "excludeBody": self.exclude_body,
            "enabled": self.enabled,
        }


@dataclass
class Delivery:
    identifier: str
    hook_id: int
    url: str
    body: bytes
    headers: dict[str, str]
    retries: int = 0
    status: int | None = None
    error: str | None = None


@dataclass
class Webhooks:
    """The site's admin webhooks and their deliveries (sent after each request)."""

    site: Site
    transport: httpx.AsyncBaseTransport | None = None
    """How deliveries travel (tests hand in a transport; served, they go over HTTP)."""
    hooks: dict[int, Hook] = field(default_factory=dict)
    pending: list[Delivery] = field(default_factory=list)
    delivered: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)

    def reset(self) -> None:
        self.hooks.clear()
        self.pending.clear()
        self.delivered.clear()
        self.failed.clear()

    def register(self, data: dict[str, Any]) -> Hook:
        url, events = data.get("url"), data.get("events")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("url: a webhook needs an http(s) URL")
        if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
            raise ValueError(f"events: choose among {', '.join(EVENTS)}")
        filters = data.get("filters") if isinstance(data.get("filters"), dict) else {}
        jql = (filters or {}).get("issue-related-events-section") or None
        if jql:
            parse(jql, self._context())  # refused now, not at delivery time
        hook = Hook(
            id=len(self.hooks) + 1,
            name=str(data.get("name") or "webhook"),
            url=url,
            events=list(events),
            jql=jql,
            exclude_body=bool(data.get("excludeBody", False)),
            secret=data.get("secret") or None,
        )
        self.hooks[hook.id] = hook
        return hook

    def _context(self) -> Context:
        return Context(now=self.site.now(), time_zone=self.site.time_zone)

    def _matches(self, hook: Hook, event: str, issue: Issue | None) -> bool:
        if not hook.enabled or event not in hook.events:
            return False
        if hook.jql is None or issue is None:
            return True
        try:
            query = parse(hook.jql, self._context())
        except JqlError:
            return False
        return query.where is None or query.where(issue)

    def emit(
        self,
        event: str,
        issue: Issue,
        actor: str,
        *,
        changelog: Change | None = None,
        comment: Comment | None = None,
        type_name: str | None = None,
    ) -> None:
        hooks = [h for h in self.hooks.values() if self._matches(h, event, issue)]
        if not hooks:
            return
        payload: dict[str, Any] = {
            "timestamp": int(self.site.now().timestamp() * 1000),
            "webhookEvent": event,
            "user": render.user(self.site, actor),
        }
        if type_name:
            payload["issue_event_type_name"] = type_name
        payload["issue"] = render.issue(self.site, issue, fields=None)
        if changelog is not None:
            payload["changelog"] = {"id": changelog.id, "items": changelog.items}
        if comment is not None:
            payload["comment"] = render.comment(self.site, issue, comment)
        for hook in hooks:
            body = (
                payload
                if not hook.exclude_body
                else {k: payload[k] for k in ("timestamp", "webhookEvent")}
            )
            self._queue(hook, body)

    def emit_link(self, event: str, link: IssueLink, actor: str) -> None:
        hooks = [h for h in self.hooks.values() if self._matches(h, event, None)]
        kind = next(t for t in self.site.link_types if t.id == link.type_id)
        payload = {
            "timestamp": int(self.site.now().timestamp() * 1000),
            "webhookEvent": event,
            "issueLink": {
                "id": int(link.id),
                "sourceIssueId": int(link.outward_id),
                "destinationIssueId": int(link.inward_id),
                "issueLinkType": render.link_type(self.site.base_url, kind),
                "systemLink": False,
            },
        }
        for hook in hooks:
            self._queue(hook, payload)

    def _queue(self, hook: Hook, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
            "X-Atlassian-Webhook-Flow": "Primary",
        }
        if hook.secret:
            digest = hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
        self.pending.append(
            Delivery(headers["X-Atlassian-Webhook-Identifier"], hook.id, hook.url, body, headers)
        )

    async def flush(self) -> None:
        """Send what is queued; failures wait for :meth:`redeliver`."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        async with httpx.AsyncClient(transport=self.transport, timeout=10) as client:
            for delivery in batch:
                headers = {**delivery.headers, "X-Atlassian-Webhook-Retry": str(delivery.retries)}
                try:
                    answer = await client.post(delivery.url, content=delivery.body, headers=headers)
                    delivery.status, delivery.error = answer.status_code, None
                except httpx.HTTPError as exc:
                    delivery.status, delivery.error = None, type(exc).__name__
                ok = delivery.status is not None and 200 <= delivery.status < 300
                (self.delivered if ok else self.failed).append(delivery)

    async def redeliver(self) -> int:
        """Send failed deliveries again: Jira retries on 408, 409, 425, 429, 5xx and
        connection failures, keeping the identifier (up to five retries)."""
        retry = [
            d
            for d in self.failed
            if d.retries < 5
            and (d.status is None or d.status in (408, 409, 425, 429) or d.status >= 500)
        ]
        self.failed = [d for d in self.failed if d not in retry]
        for delivery in retry:
            delivery.retries += 1
        self.pending += retry
        await self.flush()
        return len(retry)


__all__ = ["EVENTS", "Delivery", "Hook", "Webhooks"]
