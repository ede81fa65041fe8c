"""The Okta enricher: who reported a ticket and who works on it, in the directory's words.

For each ticket, the reporter (``reporter.email``, or the e-mail the engine found through
the source tool's ``resolve_people``: ``enrichment.reporter_email``) and the assignee are
looked up by e-mail (then login); the patch names their hub Person (when the directory
sync brought them in), the reporter's department, title, manager (as a hub id), groups
and devices (hub ids). Lookups are batched and cached (see ``lookups.py``); a failing one
raises ``TransientError`` for the batch, which the engine tries again next cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import JsonValue

from itsmhub import (
    AnyTicket,
    ConfigError,
    Enricher,
    EnrichmentPatch,
    ItsmhubError,
    TransientError,
)

from .connector import OktaConnector
from .lookups import Lookups, Profile


def _address(person: object, fallback: str | None) -> str | None:
    email = getattr(person, "email", None) if person is not None else None
    chosen = email or fallback
    return chosen.strip().lower() if chosen else None


class OktaEnricher(Enricher):
    """Department, title, manager, groups and devices of a ticket's people, from Okta."""

    name: ClassVar[str] = "okta"
    connector_kind: ClassVar[str] = "okta"
    batch_size: ClassVar[int] = 500

    @property
    def okta(self) -> OktaConnector:
        assert isinstance(self.connector, OktaConnector)
        return self.connector

    def _lookups(self) -> Lookups:
        settings = self.okta.okta
        return Lookups(
            self.okta.client,
            self.context.cache,
            ttl=settings.cache_ttl,
            match_by=settings.match_people_by,
            department_attribute=settings.department_attribute,
        )

    async def enrich(self, records: Sequence[AnyTicket]) -> list[EnrichmentPatch]:
        wanted = {
            record.id: (
                _address(record.reporter, record.enrichment.reporter_email),
                _address(record.assignee, record.enrichment.assignee_email),
            )
            for record in records
        }
        addresses = {a for pair in wanted.values() for a in pair if a}
        if not addresses:
            return []
        lookups = self._lookups()
        try:
            people = await lookups.people(addresses)
            reporters = sorted({people[r].id for r, _ in wanted.values() if r in people})
            groups = await lookups.groups_of(reporters)
            devices = await lookups.devices_of(reporters)
        except (TransientError, ConfigError):
            raise
        except ItsmhubError as exc:  # a refused search: retried as a whole next cycle
            raise TransientError(f"Okta lookups failed: {exc}") from exc
        remote_ids = {p.id for p in people.values()}
        remote_ids |= {p.manager_id for p in people.values() if p.manager_id}
        remote_ids |= {d for ids in devices.values() for d in ids}
        hub = await self.context.directory.records_of(self.okta.name, sorted(remote_ids))
        patches = []
        for record in records:
            reporter, assignee = wanted[record.id]
            fields = self._fields(
                people.get(reporter or ""), people.get(assignee or ""), groups, devices, hub
            )
            if fields:
                why = [f"reporter {reporter}" if reporter in people else None]
                why.append(f"assignee {assignee}" if assignee in people else None)
                patches.append(
                    EnrichmentPatch(
                        record_id=record.id,
                        fields=fields,
                        source=f"okta:{self.okta.name}",
                        reason=" and ".join(w for w in why if w) + " found in Okta",
                    )
                )
        return patches

    def _fields(
        self,
        reporter: Profile | None,
        assignee: Profile | None,
        groups: dict[str, list[str]],
        devices: dict[str, list[str]],
        hub: dict[str, str],
    ) -> dict[str, JsonValue]:
        fields: dict[str, JsonValue] = {}
        if reporter is not None:
            fields.update(
                reporter_id=hub.get(reporter.id),
                department=reporter.department,
                title=reporter.title,
                manager_id=hub.get(reporter.manager_id or ""),
                groups=list(groups.get(reporter.id, [])),
                device_ids=[hub[d] for d in devices.get(reporter.id, []) if d in hub],
            )
        if assignee is not None:
            fields["assignee_id"] = hub.get(assignee.id)
        # Unknown stays unsaid (a person the directory sync has not brought in yet).
        fields = {k: v for k, v in fields.items() if v is not None}
        if fields:
            fields["sources"] = [f"okta:{self.okta.name}"]
        return fields
