"""Same subject: open incidents in different tools about the same person or device.

Someone whose laptop breaks files a hardware ticket in Jira, cannot sign in to the VPN
and calls the service desk (ServiceNow), then writes to the help desk (Zendesk). Three
tools, one person, one afternoon: the tickets are probably one story. This rule links
each new open incident to the earliest open incident of *another* tool about the same
subject opened within ``window`` (a star around the first, as the linking rule does):

- ``person``: the reporter, as enrichment (Okta) identified them: their hub Person. With
  ``directory_only = false`` a reporter the directory does not know counts by e-mail.
- ``device``: the device the incident is about (``device_id``, or the device the enricher
  found named in its text by serial number).

A subject on more than ``crowd`` open incidents within the window is not a signal: a
shared mailbox, a monitoring account or a kiosk would tie unrelated tickets together.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field, field_validator

from ..durations import Duration, format_duration
from ..model import LinkKind, RecordKind
from .base import RuleSettings, RuleType
from .builtin import FactConditions
from .catalog import Catalog
from .conditions import Conditions
from .evaluator import Evaluator
from .facts import TicketFacts
from .proposals import AnyProposal

Key = tuple[str, str]
TICKETS = frozenset({RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR})


class Subject(StrEnum):
    PERSON = "person"
    DEVICE = "device"


class SameSubjectSettings(RuleSettings):
    """Open incidents in different tools about the same person or device → linked."""

    match: list[Subject] = Field(
        default_factory=lambda: [Subject.PERSON, Subject.DEVICE],
        min_length=1,
        description="what counts as the same subject: person (the reporter), device",
    )
    window: Duration = Field(
        timedelta(days=2), description="how close in time two incidents must be opened"
    )
    kinds: list[RecordKind] = Field(
        default_factory=lambda: [RecordKind.INCIDENT],
        description="the ticket kinds linked (incidents; problems too if listed)",
    )
    link_kind: LinkKind = Field(LinkKind.RELATED, description="the link proposed")
    directory_only: bool = Field(
        True,
        description="a person counts only when the directory knows them (enriched from "
        "Okta); false also matches reporters by e-mail",
    )
    crowd: int = Field(
        10,
        ge=2,
        description="a subject on more open incidents than this within the window (a "
        "shared or monitoring account) is not a signal",
    )
    when: FactConditions = Field(default_factory=Conditions)

    @field_validator("kinds")
    @classmethod
    def _tickets_only(cls, kinds: list[RecordKind]) -> list[RecordKind]:
        if not set(kinds) <= TICKETS:
            raise ValueError("only tickets are linked: incident, problem, known_error")
        return kinds

    @field_validator("link_kind")
    @classmethod
    def _between_tickets(cls, kind: LinkKind) -> LinkKind:
        if kind not in (LinkKind.RELATED, LinkKind.DUPLICATE_OF):
            raise ValueError("tickets about one subject are related (or duplicate_of)")
        return kind


class SameSubjectRule(RuleType):
    type = "same_subject"
    settings_model = SameSubjectSettings
    description = "link open incidents in different tools about one person or device"


class SameSubjectEvaluator(Evaluator):
    settings: SameSubjectSettings

    def __init__(self, name: str, settings: SameSubjectSettings, catalog: Catalog) -> None:
        super().__init__(name, settings, catalog)
        #: Open tickets by subject, by record id; ``_keys`` says where each one is filed.
        self.recent: dict[Key, dict[str, TicketFacts]] = {}
        self._keys: dict[str, tuple[Key, ...]] = {}
        self._expiry: list[tuple[datetime, str]] = []

    def kinds(self) -> list[str]:
        return [kind.value for kind in self.settings.kinds]

    def subjects(self, facts: TicketFacts) -> tuple[Key, ...]:
        """The subjects a ticket is about, as (what, value) keys."""
        keys: list[Key] = []
        match = self.settings.match
        person = facts.reporter
        by_email = person is not None and "@" in person
        if Subject.PERSON in match and person and not (self.settings.directory_only and by_email):
            keys.append((Subject.PERSON.value, person))
        if Subject.DEVICE in match and facts.device:
            keys.append((Subject.DEVICE.value, facts.device))
        return tuple(keys)

    def explain(self, facts: TicketFacts, now: datetime) -> list[tuple[str, bool]]:
        checks = super().explain(facts, now)
        checks.append((f"it is open ({facts.status})", facts.is_open))
        if Subject.PERSON in self.settings.match:
            known = bool(facts.reporter) and "@" not in (facts.reporter or "")
            if self.settings.directory_only:
                checks.append((f"its reporter is a directory person ({facts.reporter})", known))
            else:
                checks.append((f"its reporter is known ({facts.reporter})", bool(facts.reporter)))
        if Subject.DEVICE in self.settings.match:
            checks.append((f"it names a device ({facts.device})", bool(facts.device)))
        return checks

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        if facts.kind not in self.settings.kinds:
            return []
        self._drop(facts.record_id)  # seen again: it may have closed or changed subject
        if not facts.is_open or not self.applies(facts, now):
            return []
        keys = self.subjects(facts)
        if not keys:
            return []
        self._expire(facts.opened_at - self.settings.window)
        found: dict[str, tuple[TicketFacts, list[str]]] = {}
        for key in keys:
            earlier = self._earliest(key, facts)
            if earlier is not None:
                found.setdefault(earlier.record_id, (earlier, []))[1].append(_said(key))
        self._file(facts, keys)
        if not found:
            return []
        # One link, to the earliest of the tickets found (person and device may differ).
        target, said = min(found.values(), key=lambda f: (f[0].opened_at, f[0].record_id))
        if self._linked(facts, target):
            return []
        window = format_duration(self.settings.window)
        why = (
            f"{' and '.join(said)} as {target.name} ({target.origin}), "
            f"opened within {window} in another tool"
        )
        return [self.link(facts, target.record_id, target.name, self.settings.link_kind, why)]

    def _earliest(self, key: Key, facts: TicketFacts) -> TicketFacts | None:
        """The earliest open ticket of another tool about ``key`` within the window
        before ``facts``; None too when the subject is crowded."""
        recent = self.recent.get(key)
        if not recent:
            return None
        horizon = facts.opened_at - self.settings.window
        near = [
            other
            for other in recent.values()
            if horizon <= other.opened_at <= facts.opened_at + self.settings.window
        ]
        if len(near) >= self.settings.crowd:
            return None
        candidates = [
            other
            for other in near
            if other.opened_at <= facts.opened_at and other.origin != facts.origin
        ]
        return min(candidates, key=lambda o: (o.opened_at, o.record_id), default=None)

    def _file(self, facts: TicketFacts, keys: tuple[Key, ...]) -> None:
        for key in keys:
            self.recent.setdefault(key, {})[facts.record_id] = facts
        self._keys[facts.record_id] = keys
        heapq.heappush(self._expiry, (facts.opened_at, facts.record_id))

    def _drop(self, record_id: str) -> None:
        for key in self._keys.pop(record_id, ()):
            recent = self.recent.get(key)
            if recent is not None:
                recent.pop(record_id, None)
                if not recent:
                    del self.recent[key]

    def _expire(self, horizon: datetime) -> None:
        """Forget tickets opened before ``horizon``: no later ticket can link to them."""
        while self._expiry and self._expiry[0][0] < horizon:
            opened, record_id = heapq.heappop(self._expiry)
            keys = self._keys.get(record_id, ())
            filed = next((self.recent[k].get(record_id) for k in keys if k in self.recent), None)
            if filed is not None and filed.opened_at == opened:
                self._drop(record_id)

    def _linked(self, facts: TicketFacts, target: TicketFacts) -> bool:
        """Already linked, proposed this run, or both under one problem (linked through it)."""
        if target.record_id in facts.related_ids or facts.record_id in target.related_ids:
            return True
        if set(facts.problem_ids) & set(target.problem_ids):
            return True
        return not self.catalog.relate(facts.record_id, target.record_id)


def _said(key: Key) -> str:
    what, value = key
    if what == Subject.PERSON.value:
        return f"same person ({'hub Person ' if '@' not in value else ''}{value})"
    return f"same device (hub Device {value})"
