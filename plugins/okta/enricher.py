"""The Okta enricher: who reported a ticket and who works on it, in the directory's words.

For each ticket, the reporter (``reporter.email``, or the e-mail the engine found through
the source tool's ``resolve_people``: ``enrichment.reporter_email``) and the assignee are
looked up by e-mail (then login); the patch names their hub Person (when the directory
sync brought them in), the reporter's department, title, manager (as a hub id), groups
and devices (hub ids). Lookups are batched and cached (see ``lookups.py``); a failing one
raises ``TransientError`` for the batch, which the engine tries again next cycle. When
the directory says people changed, the engine calls ``forget`` before it enriches their
open tickets again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from pydantic import JsonValue

from itsmhub import (
    AnyTicket,
    ConfigError,
    Device,
    Enricher,
    EnrichmentPatch,
    ItsmhubError,
    Person,
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
        try:
            found = await self._look_up(records, wanted)
        except (TransientError, ConfigError):
            raise
        except ItsmhubError as exc:  # a refused search: retried as a whole next cycle
            raise TransientError(f"Okta lookups failed: {exc}") from exc
        patches = []
        for record in records:
            reporter, assignee = wanted[record.id]
            device, serial = found.named.get(record.id, (None, None))
            fields = self._fields(found, reporter, assignee, device)
            if fields:
                why = [f"reporter {reporter}" if reporter in found.people else None]
                why.append(f"assignee {assignee}" if assignee in found.people else None)
                why.append(f"device {serial} named in its text" if device else None)
                patches.append(
                    EnrichmentPatch(
                        record_id=record.id,
                        fields=fields,
                        source=f"okta:{self.okta.name}",
                        reason=" and ".join(w for w in why if w) + " found in Okta",
                    )
                )
        return patches

    async def _look_up(
        self, records: Sequence[AnyTicket], wanted: dict[str, tuple[str | None, str | None]]
    ) -> Found:
        """Everything the batch needs from Okta (cached) and the hub's ids for it."""
        lookups = self._lookups()
        addresses = {a for pair in wanted.values() for a in pair if a}
        people = await lookups.people(addresses) if addresses else {}
        reporters = sorted({people[r].id for r, _ in wanted.values() if r in people})
        groups = await lookups.groups_of(reporters)
        devices = await lookups.devices_of(reporters)
        named = await lookups.devices_named({r.id: f"{r.title}\n{r.description}" for r in records})
        remote_ids = {p.id for p in people.values()}
        remote_ids |= {p.manager_id for p in people.values() if p.manager_id}
        remote_ids |= {d for ids in devices.values() for d in ids}
        remote_ids |= {device for device, _ in named.values()}
        hub = await self.context.directory.records_of(self.okta.name, sorted(remote_ids))
        return Found(people, groups, devices, named, hub)

    async def forget(self, records: Sequence[Person | Device]) -> None:
        """People of this org the directory changed: forget their cached profile and
        devices, take their groups from the record (see ``Lookups.forget``); devices:
        learn their serial numbers."""
        mine = [(ref.remote_id, r) for r in records if (ref := r.ref_for(self.okta.name))]
        lookups = self._lookups()
        await lookups.forget([(remote_id, r) for remote_id, r in mine if isinstance(r, Person)])
        serials = {
            r.serial_number.strip().upper(): remote_id
            for remote_id, r in mine
            if isinstance(r, Device) and r.serial_number and r.serial_number.strip()
        }
        await lookups.learn_devices(serials)

    def _fields(
        self,
        found: Found,
        reporter_address: str | None,
        assignee_address: str | None,
        device: str | None,
    ) -> dict[str, JsonValue]:
        reporter = found.people.get(reporter_address or "")
        assignee = found.people.get(assignee_address or "")
        hub = found.hub
        fields: dict[str, JsonValue] = {}
        if reporter is not None:
            fields.update(
                reporter_id=hub.get(reporter.id),
                department=reporter.department,
                title=reporter.title,
                manager_id=hub.get(reporter.manager_id or ""),
                groups=list(found.groups.get(reporter.id, [])),
                device_ids=[hub[d] for d in found.devices.get(reporter.id, []) if d in hub],
            )
        if assignee is not None:
            fields["assignee_id"] = hub.get(assignee.id)
        if device is not None:
            fields["device_id"] = hub.get(device)
        # Unknown stays unsaid (a person the directory sync has not brought in yet).
        fields = {k: v for k, v in fields.items() if v is not None}
        if fields:
            fields["sources"] = [f"okta:{self.okta.name}"]
        return fields


@dataclass(frozen=True)
class Found:
    """What one batch learned: profiles by address, groups and devices by Okta user id,
    the device each ticket names and its serial (by record id), and hub ids by Okta id."""

    people: dict[str, Profile]
    groups: dict[str, list[str]]
    devices: dict[str, list[str]]
    named: dict[str, tuple[str, str]]
    hub: dict[str, str]
