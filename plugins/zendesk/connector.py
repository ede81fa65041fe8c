"""The ``zendesk`` connector: incident, problem and known-error tickets in Zendesk Support.

Reads go through the incremental exports (:mod:`.feeds`): one ``tickets`` stream for every
ticket type, and a ``ticket_events`` stream carrying the comments in bulk. Writes are
single ticket calls or background jobs (:mod:`.bulk`); updates are compare-and-set with
``safe_update``, comments ride in ticket updates with the hub's footer, and an incident's
``problem_id`` is its one ``caused_by`` link. ``external_id`` carries our correlation
marker; Zendesk does not keep it unique, so a lookup returns every ticket carrying it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

import anyio
from pydantic import SecretStr

from itsmhub import (
    AnyRecord,
    CheckItem,
    CheckResult,
    Comment,
    ConfigError,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    ExternalRef,
    FatalError,
    FieldChanges,
    LinkKind,
    PersonRef,
    PullItem,
    PullRequest,
    RateBudget,
    RecordError,
    RecordKind,
    RemoteChange,
    RemoteVersion,
    Stream,
    TransientError,
    WebhookReply,
    WebhookRequest,
    correction_marker,
    register_secret,
)

from . import feeds, webhooks
from .bulk import BulkWrites, check_held, stamp
from .client import Sleep, ZendeskClient, rate_budgets
from .mapping import Target, comments_of, fold, ticket_version, to_change
from .payloads import CommentIn, Ticket
from .settings import ZendeskSettings
from .writes import comment_body, correction_body, create_body, update_body


class ZendeskConnector(BulkWrites, Connector):
    """Incidents and problems as tickets of those types; known errors as tagged problems."""

    kind: ClassVar[str] = "zendesk"
    title: ClassVar[str] = "Zendesk Support"
    settings_model: ClassVar[type[ConnectorSettings]] = ZendeskSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = feeds.KINDS
    link_kinds: ClassVar[frozenset[LinkKind]] = frozenset({LinkKind.CAUSED_BY})
    # An incident's problem_id names one problem: writing another replaces it.
    single_valued_links: ClassVar[frozenset[LinkKind]] = link_kinds
    # Listing tickets by external_id reads the database, not a search index: no lag.
    max_batch: ClassVar[int] = 100

    def __init__(
        self,
        name: str,
        settings: ConnectorSettings,
        context: ConnectorContext,
        *,
        client: ZendeskClient | None = None,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        super().__init__(name, settings, context)
        if not isinstance(settings, ZendeskSettings):
            raise FatalError(f"{name}: expected ZendeskSettings, got {type(settings).__name__}")
        self.target = Target(system=name, settings=settings)
        # What this account can hold depends on its mapped custom fields.
        self.synced_fields = self.target.synced_fields()  # type: ignore[misc]
        self._client = client
        self._sleep = sleep

    @property
    def client(self) -> ZendeskClient:
        # Built on first use: secrets are resolved only when the connector really calls out.
        if self._client is None:
            assert isinstance(self.settings, ZendeskSettings)
            self._client = ZendeskClient(self.settings, self.context, sleep=self._sleep)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def rate_budgets(self) -> list[RateBudget]:
        assert isinstance(self.settings, ZendeskSettings)
        return rate_budgets(self.settings)

    def _webhook_secret(self) -> SecretStr | None:
        assert isinstance(self.settings, ZendeskSettings)
        ref = self.settings.webhook_secret
        if ref is None:
            return None
        secret = self.context.resolve_secret(ref)
        register_secret(secret.get_secret_value())  # masked wherever it might be echoed
        return secret

    # --- check ---------------------------------------------------------------------------

    async def check(self) -> CheckResult:
        """Who the token signs in as, and whether that agent may read the exports (admins
        only) and whether the webhook secret is usable."""
        try:
            me = await self.client.me()
        except ConfigError as exc:
            item = CheckItem(name="auth", ok=False, detail=exc.message, fix=exc.fix)
            return CheckResult(connector=self.name, items=(item,))
        except TransientError as exc:
            fix = "check subdomain or url, the network path and any proxy; try again later"
            item = CheckItem(name="reachability", ok=False, detail=str(exc), fix=fix)
            return CheckResult(connector=self.name, items=(item,))
        items = [
            CheckItem(name="auth", ok=True, detail=f"signed in as {me.email or me.name}"),
            CheckItem(name="reachability", ok=True, detail=self.target.base_url),
        ]
        admin = me.role == "admin"
        items.append(
            CheckItem(
                name="incremental exports",
                ok=admin,
                detail=f"the agent's role is {me.role or 'unknown'}",
                fix=None if admin else "the incremental exports need an admin's token",
            )
        )
        items += self._check_webhook_secret()
        return CheckResult(connector=self.name, items=tuple(items))

    def _check_webhook_secret(self) -> list[CheckItem]:
        try:
            secret = self._webhook_secret()
            if secret is None:
                return []
            webhooks.refuse_test_secret(secret)
        except ConfigError as exc:
            return [CheckItem(name="webhook secret", ok=False, detail=exc.message, fix=exc.fix)]
        return [CheckItem(name="webhook secret", ok=True, detail="set")]

    # --- reading -------------------------------------------------------------------------

    def streams(self) -> list[Stream]:
        assert isinstance(self.settings, ZendeskSettings)
        return feeds.streams(comments=self.settings.sync_comments)

    async def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        feed: Any
        if request.stream.name == feeds.TICKETS:
            feed = feeds.TicketFeed(self.client, self.target, self.context.clock)
        elif request.stream.name == feeds.EVENTS:
            feed = feeds.EventFeed(self.client, self.target, self.context.clock)
        else:
            raise FatalError(f"{self.name}: no stream {request.stream.name!r}")
        async for item in feed.pull(request):
            yield item

    async def fetch(self, kind: RecordKind, remote_id: str) -> RemoteChange | None:
        """The ticket now, with its comments (all but the first, its description)."""
        ticket = await self.client.ticket(remote_id)
        if ticket is None:
            return None
        change = to_change(self.target, ticket, kind=kind)
        if change.record is None:
            return change
        comments = await self.client.comments(remote_id)
        record = change.record.model_copy(update={"comments": self._comments(comments[1:])})
        return change.model_copy(update={"record": record})

    def _comments(self, comments: Sequence[CommentIn]) -> list[Comment]:
        return fold(comments_of(self.target, comments))

    async def update_comment(self, ref: ExternalRef, comment: Comment) -> None:
        """Zendesk comments cannot be edited: a correction is added (same visibility),
        once, however often this is called (it looks for its marker first)."""
        marker = correction_marker(comment)
        if any(marker in (held.body or "") for held in await self.client.comments(ref.remote_id)):
            return  # written by an attempt whose answer was lost
        body = {"comment": correction_body(comment)}
        await self.client.update(ref.remote_id, body, appends=True)

    async def find_by_marker(self, kind: RecordKind, marker: str) -> list[RemoteChange]:
        """Every ticket whose ``external_id`` is ``marker``, oldest first."""
        tickets = await self.client.by_external_id(marker)
        found = [
            to_change(self.target, t, kind=kind)
            for t in sorted(tickets, key=lambda t: (t.created_at is None, t.created_at, t.id))
            if t.external_id == marker
        ]
        return found

    async def resolve_people(self, accounts: Sequence[ExternalRef]) -> dict[str, PersonRef]:
        """Zendesk users by id, a hundred per call."""
        ids = sorted(
            {a.remote_id for a in accounts if a.system == self.name and a.remote_id.isdigit()}
        )
        found: dict[str, PersonRef] = {}
        for user in await self.client.users(ids):
            external = ExternalRef(system=self.name, remote_id=str(user.id), remote_type="user")
            found[str(user.id)] = PersonRef(
                display_name=user.name, email=user.email, external=external
            )
        return found

    # --- writing -------------------------------------------------------------------------

    async def create(self, record: AnyRecord, *, marker: str) -> RemoteChange:
        if record.kind not in self.record_kinds:
            raise RecordError(f"Zendesk holds no {record.kind.value} records")
        answer = await self.client.create(create_body(self.target, record, marker))  # type: ignore[arg-type]
        return to_change(self.target, answer.ticket)

    async def update(self, ref: ExternalRef, changes: FieldChanges) -> RemoteVersion:
        """The changed fields in one ``safe_update``: Zendesk refuses it (409, raised as
        RemoteChanged) if the ticket moved since ``changes.expected``; without an expected
        version, the ticket is read first and its values compared with the old ones."""
        expected = changes.expected.updated_at if changes.expected is not None else None
        if expected is None:
            held = await self._held(ref)
            check_held(self.target, held, changes)
            expected = held.updated_at
        body = update_body(self.target, changes)
        if not body:  # nothing Zendesk holds changed
            return ticket_version(await self._held(ref))
        body["safe_update"] = True
        if expected is not None:
            body["updated_stamp"] = stamp(expected)
        answer = await self.client.update(ref.remote_id, body)
        return ticket_version(answer.ticket)

    async def _held(self, ref: ExternalRef) -> Ticket:
        ticket = await self.client.ticket(ref.remote_id)
        if ticket is None:
            raise RecordError(f"ticket #{ref.remote_id} does not exist (any more)")
        return ticket

    async def add_comment(self, ref: ExternalRef, comment: Comment, *, marker: str) -> ExternalRef:
        """A comment through a ticket update: public, or an internal note, footed with the
        author's name and our marker (never resent here: the engine looks for the marker)."""
        answer = await self.client.update(
            ref.remote_id, {"comment": comment_body(comment)}, appends=True
        )
        added = [e for e in answer.audit.events if e.type == "Comment"] if answer.audit else []
        if added and added[0].id is not None:
            return ExternalRef(system=self.name, remote_id=str(added[0].id), remote_type="comment")
        # No audit in the answer: find our copy by its marker.
        for copy in self._comments(await self.client.comments(ref.remote_id)):
            if copy.id == comment.id:
                return copy.refs[0]
        raise TransientError(f"ticket #{ref.remote_id}: the comment's copy cannot be found")

    async def link(self, ref: ExternalRef, target: ExternalRef, kind: LinkKind) -> None:
        """An incident's ``problem_id``: the problem it is caused by."""
        problem = self._problem_id(target, kind)
        await self.client.update(ref.remote_id, {"problem_id": problem})

    async def unlink(self, ref: ExternalRef, target: ExternalRef, kind: LinkKind) -> None:
        """Clear ``problem_id`` if it still names ``target`` (another problem is left)."""
        problem = self._problem_id(target, kind)
        held = await self._held(ref)
        if held.problem_id != problem:
            return
        body: dict[str, Any] = {"problem_id": None, "safe_update": True}
        if held.updated_at is not None:
            body["updated_stamp"] = stamp(held.updated_at)
        await self.client.update(ref.remote_id, body)

    def _problem_id(self, target: ExternalRef, kind: LinkKind) -> int:
        if kind is not LinkKind.CAUSED_BY:
            raise RecordError(
                f"Zendesk keeps no {kind.value} links",
                fix="only incident → problem (caused_by) is kept, as the incident's problem",
            )
        if target.system != self.name or not target.remote_id.isdigit():
            raise RecordError(f"Zendesk can only link its own tickets, not {target.system}'s")
        return int(target.remote_id)

    # --- push ----------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest) -> WebhookReply:
        return webhooks.verify(self.target, self._webhook_secret(), request)


__all__ = ["ZendeskConnector"]
