"""The enrichment step of each cycle: what identity and device tools know about the
tickets that changed, kept on each ticket's hub-only :class:`~itsmhub.Enrichment`.

After the pulls, before the rules: the step first enriches again the open tickets about
people and devices the directory changed (``enrich_people``), then reads the tickets
changed since its own position, in batches. First, people a ticket names only by a
vendor account (a ServiceNow ``caller_id``, a Jira ``accountId``) are resolved to an
e-mail through that ticketing connector's ``resolve_people``, batched and cached in the
store. Then each configured enricher (Okta's) returns patches for the batch. Patches
change only the hub-only enrichment, so nothing is pushed anywhere because of them.

Merges never wait on this step. A batch whose look-up fails (a vendor outage, a rate
limit) is reported and tried again next cycle: the position stays before it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import JsonValue, ValidationError

from ..errors import ItsmhubError
from ..extensions import Enricher, EnrichmentContext, EnrichmentPatch
from ..model import AnyTicket, Enrichment, ExternalRef, Incident, KnownError, PersonRef, Problem
from ..store import Store, Writes
from .boundary import guarded
from .enrich_people import revisit_people
from .hub import Hub

log = logging.getLogger("itsmhub.engine")

#: Tickets read per batch.
BATCH = 200
#: Where the step keeps its position, in the cursors table.
CURSOR = ("itsmhub", "enrichment")
#: How long a resolved account (or the knowledge that there is none) stays cached.
PEOPLE_TTL = timedelta(days=1)


@dataclass
class EnrichmentReport:
    seen: int = 0
    enriched: int = 0
    resolved: int = 0
    lookups: int = 0
    revisited: int = 0
    """Open tickets enriched again because the directory changed their people."""
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


class StoreDirectory:
    """The :class:`~itsmhub.Directory` enrichers read: what the hub holds of people."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def records_of(self, system: str, remote_ids: list[str]) -> dict[str, str]:
        return await self.store.records_by_refs(system, remote_ids)


class EnrichmentStep:
    """Enrich the tickets changed since the last run (see the module docstring)."""

    name = "enrichment"

    def __init__(self) -> None:
        self._enrichers: list[Enricher] | None = None

    def enrichers(self, hub: Hub) -> list[Enricher]:
        """One enricher per registered class and configured connector of its kind."""
        if self._enrichers is None:
            context = EnrichmentContext(
                cache=hub.store, directory=StoreDirectory(hub.store), clock=hub.clock
            )
            table = hub.plugins.registry.enrichers
            classes = [cls for name in table.names() if (cls := table.get(name)) is not None]
            self._enrichers = [
                cls(connector, context)
                for cls in classes
                for connector in hub.connectors.values()
                if connector.kind == cls.connector_kind
            ]
        return self._enrichers

    def resolvers(self, hub: Hub) -> set[str]:
        return {
            name
            for name, connector in hub.connectors.items()
            if "resolve_people" in type(connector).capabilities()
        }

    async def run(self, hub: Hub) -> EnrichmentReport:
        report = EnrichmentReport()
        enrichers, resolvers = self.enrichers(hub), self.resolvers(hub)
        if not enrichers and not resolvers:
            return report
        started = time.perf_counter()
        async with hub.store.worker_lock("enrichment") as held:
            if not held:
                return report
            try:
                await self._run(hub, enrichers, resolvers, report)
            except ItsmhubError as exc:
                report.errors.append(f"enrichment: {exc}")
                await hub.store.audit(
                    "error.enrichment", connector="itsmhub", detail={"error": str(exc)}
                )
        report.seconds = time.perf_counter() - started
        return report

    async def _run(
        self,
        hub: Hub,
        enrichers: list[Enricher],
        resolvers: set[str],
        report: EnrichmentReport,
    ) -> None:
        # People the directory changed first: their open tickets are enriched afresh.
        async def again(tickets: list[AnyTicket], writes: Writes) -> None:
            await self._enrich(hub, tickets, enrichers, resolvers, writes, report)

        try:
            report.revisited += await revisit_people(hub, enrichers, again)
        except ItsmhubError as exc:  # tried again next cycle; new tickets need not wait
            report.errors.append(f"enrichment revisits: {exc}")
            await hub.store.audit(
                "error.enrichment", connector="itsmhub", detail={"error": str(exc)}
            )
        position = _position(await hub.store.get_cursor(*CURSOR))
        until = hub.clock()
        while True:
            changed = await hub.store.facts_changed(position, until=until, limit=BATCH)
            if not changed:
                return
            ids = [facts.record_id for _, facts in changed]
            loaded = await hub.store.load_records(ids)
            tickets = [
                loaded[i].record
                for i in ids
                if i in loaded and isinstance(loaded[i].record, Incident | Problem | KnownError)
            ]
            writes = Writes(now=hub.clock())
            await self._enrich(hub, tickets, enrichers, resolvers, writes, report)  # type: ignore[arg-type]
            last_at, last = changed[-1]
            position = (last_at, last.record_id)
            writes.cursors[CURSOR] = [last_at.isoformat(), last.record_id]
            async with hub.store.transaction() as tx:
                await tx.flush(writes)
            report.seen += len(changed)
            if len(changed) < BATCH:
                return

    async def _enrich(
        self,
        hub: Hub,
        tickets: list[AnyTicket],
        enrichers: list[Enricher],
        resolvers: set[str],
        writes: Writes,
        report: EnrichmentReport,
    ) -> None:
        found = await _resolve_people(hub, tickets, resolvers, report)
        patched: dict[str, AnyTicket] = {}
        for ticket in tickets:
            emails = {}
            for role in ("reporter", "assignee"):
                person: PersonRef | None = getattr(ticket, role)
                if person and person.external and not person.email:
                    key = _account_key(person.external)
                    if found.get(key):
                        emails[f"{role}_email"] = found[key]
            if emails:
                patched[ticket.id] = _patched(ticket, emails, "people")
        current = [patched.get(t.id, t) for t in tickets]
        for enricher in enrichers:
            for start in range(0, len(current), enricher.batch_size):
                chunk = current[start : start + enricher.batch_size]
                patches = await guarded(enricher.connector, "enrich", enricher.enrich(chunk))
                by_id = {t.id: t for t in current}
                for patch in patches:
                    ticket = patched.get(patch.record_id) or by_id.get(patch.record_id)
                    if ticket is not None:
                        patched[ticket.id] = _apply(ticket, patch)
        for ticket in tickets:
            new = patched.get(ticket.id)
            if new is not None and new.enrichment != ticket.enrichment:
                writes.put_record(new, new=False)
                writes.add_audit(
                    "record.enriched",
                    record_id=ticket.id,
                    connector="itsmhub",
                    detail={"sources": list(new.enrichment.sources)},
                )
                report.enriched += 1


async def _resolve_people(
    hub: Hub, tickets: list[AnyTicket], resolvers: set[str], report: EnrichmentReport
) -> dict[str, str | None]:
    """E-mails of the vendor accounts the tickets name, cached, by account key."""
    wanted: dict[str, dict[str, ExternalRef]] = {}
    for ticket in tickets:
        for person in (ticket.reporter, ticket.assignee):
            if person and person.external and not person.email:
                system = person.external.system
                if system in resolvers:
                    wanted.setdefault(system, {})[person.external.remote_id] = person.external
    found: dict[str, str | None] = {}
    for system, accounts in wanted.items():
        namespace = f"people:{system}"
        cached = await hub.store.get_many(namespace, sorted(accounts))
        for remote_id, value in cached.items():
            found[f"{system}:{remote_id}"] = _email(value)
        missing = [accounts[r] for r in sorted(accounts) if r not in cached]
        if not missing:
            continue
        connector = hub.connector(system)
        people = await guarded(connector, "resolve_people", connector.resolve_people(missing))
        report.lookups += 1
        fresh: dict[str, JsonValue] = {}
        for account in missing:
            person = people.get(account.remote_id)
            fresh[account.remote_id] = person.model_dump(mode="json") if person else None
            found[f"{system}:{account.remote_id}"] = person.email if person else None
            report.resolved += 1 if person and person.email else 0
        await hub.store.put_many(namespace, fresh, PEOPLE_TTL)
    return found


def _email(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("email"), str):
        return value["email"]
    return None


def _account_key(ref: ExternalRef) -> str:
    return f"{ref.system}:{ref.remote_id}"


def _patched(ticket: AnyTicket, fields: dict[str, JsonValue], source: str) -> AnyTicket:
    data = ticket.enrichment.model_dump(mode="json")
    data.update(fields)
    data["sources"] = sorted({*ticket.enrichment.sources, source})
    return ticket.model_copy(update={"enrichment": Enrichment.model_validate(data)})


def _apply(ticket: AnyTicket, patch: EnrichmentPatch) -> AnyTicket:
    """``patch`` applied to the ticket's enrichment; a patch naming unknown fields or
    values of the wrong type is logged and left out (the ticket is still merged)."""
    try:
        return _patched(ticket, dict(patch.fields), patch.source)
    except ValidationError as exc:
        log.warning("enricher %s sent a patch that does not fit: %s", patch.source, exc)
        return ticket


def _position(value: object) -> tuple[datetime, str] | None:
    if isinstance(value, list) and len(value) == 2:
        return datetime.fromisoformat(str(value[0])), str(value[1])
    return None
