"""What rules know of a ticket: a flat, small projection, kept beside each record.

Rules look at a million incidents in one dry-run, so they read these facts (plain columns,
a precomputed fingerprint) rather than parse every record. The store writes a ticket's
facts in the same transaction as the ticket, so the two never disagree.

This is a slotted dataclass rather than a pydantic model on purpose: it is built from
already-validated records and read back a million at a time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..model import (
    AnyRecordType,
    Incident,
    IncidentStatus,
    KnownError,
    KnownErrorStatus,
    LinkKind,
    Problem,
    ProblemStatus,
    RecordKind,
)
from ..model.records import ResolutionCode
from .fingerprint import Fingerprint, fingerprint, fingerprints, normalize
from .people import People, handles_of_record

#: Ticket kinds that have facts.
TICKET_KINDS = frozenset({RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR})

#: Comment ids of notes written by rules start with this, so "sent once" is checkable.
RULE_NOTE_PREFIX = "rule-"

_OPEN_STATUSES = frozenset(
    {
        IncidentStatus.NEW,
        IncidentStatus.IN_PROGRESS,
        IncidentStatus.ON_HOLD,
        ProblemStatus.ASSESS,
        ProblemStatus.ROOT_CAUSE_ANALYSIS,
        ProblemStatus.FIX_IN_PROGRESS,
        KnownErrorStatus.DRAFT,
        KnownErrorStatus.PUBLISHED,
    }
)

#: Anything in a ticket's text that may name another ticket: keys, #numbers, URLs. Which
#: system a mention belongs to is decided later, against the configured connectors.
MENTION = re.compile(
    # Every alternative starts with one of these: the lookahead lets the scan pass any
    # other character with one test instead of four (2.5 times faster on a description).
    r"(?=[hA-Z#])(?:"
    r"https?://[^\s<>\"')\]]+"
    r"|\b[A-Z][A-Z0-9_]+-\d+\b"
    r"|\b(?:INC|PRB|KB|CHG|RITM|TASK|REQ)\d{7,}\b"
    r"|(?<![\w&/])#\d{1,12}\b"
    r")"
)
MAX_MENTIONS = 20
#: Every mention holds a digit or starts a URL: texts with neither skip ``MENTION``.
_MAY_MENTION = re.compile(r"\d|https?://")


@dataclass(slots=True)
class TicketFacts:
    """One ticket as rules see it."""

    record_id: str
    kind: RecordKind
    title: str
    opened_at: datetime
    status: str
    is_open: bool
    origin: str | None = None
    label: str | None = None
    major: bool = False
    priority: int | None = None
    service: str | None = None
    category: str | None = None
    assignment_group: str | None = None
    reporter: str | None = None
    device: str | None = None
    tags: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    signature: bytes = b""
    resolution_code: str | None = None
    problem_ids: tuple[str, ...] = ()
    related_ids: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    known_error: bool = False
    workaround: str | None = None
    root_cause: bool = False
    fixed: bool = False
    #: The embedding of its title and description (``itsmhub.rules.embedding``).
    vector: bytes = b""
    #: Problems people unlinked it from: rules never link it to them again.
    rejected_ids: tuple[str, ...] = ()
    #: ``tokens`` joined by spaces: the exact-fingerprint key indexes look up first.
    text: str = ""

    @property
    def name(self) -> str:
        """How people know it: its key in the tool it came from, else the hub id."""
        return self.label or self.record_id

    def rule_field(self, path: str) -> Any:
        """The value a ``when`` test on ``path`` sees (see :data:`FACT_FIELDS`)."""
        attribute = FACT_FIELDS.get(path)
        return getattr(self, attribute) if attribute else None


#: The neutral field paths rules other than routing may test, and where facts keep them.
FACT_FIELDS: dict[str, str] = {
    "kind": "kind",
    "title": "title",
    "status": "status",
    "major": "major",
    "priority": "priority",
    "service": "service",
    "category": "category",
    "assignment_group": "assignment_group",
    "tags": "tags",
    "created_at": "opened_at",
    "opened_at": "opened_at",
    "resolution_code": "resolution_code",
    "device_id": "device",
    "reporter.email": "reporter",
    "known_error": "known_error",
}


#: How much of a description is embedded beside the title: its first sentence, up to this
#: many words, says what broke; the rest is logs, details and signatures.
DESCRIPTION_WORDS = 30
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")


def facts_of_many(
    records: Sequence[AnyRecordType], *, now: datetime, people: People | None = None
) -> list[TicketFacts]:
    """The facts of the tickets among ``records``, their fingerprints and embeddings
    computed together: a page's worth at once is far cheaper than one at a time."""
    tickets = [r for r in records if isinstance(r, Incident | Problem | KnownError)]
    if not tickets:  # a page of people or devices loads no embedding model
        return []
    people = people or People()
    owns = [frozenset(handles_of_record(t)) for t in tickets]
    prints = fingerprints([people.mask(t.title, own) for t, own in zip(tickets, owns, strict=True)])
    texts = [
        semantic_text(fp.tokens, _opening(t, people, own), _folded(t.service))
        for t, own, fp in zip(tickets, owns, prints, strict=True)
    ]
    from .embedding import embed, encode  # numpy loads with the first facts, not the CLI

    vectors = [encode(v) for v in embed(texts)]
    found = (
        facts_of(t, now=now, people=people, fp=fp, vector=vector)
        for t, fp, vector in zip(tickets, prints, vectors, strict=True)
    )
    return [facts for facts in found if facts is not None]


def facts_of(
    record: AnyRecordType,
    *,
    now: datetime,
    people: People | None = None,
    fp: Fingerprint | None = None,
    vector: bytes | None = None,
) -> TicketFacts | None:
    """The facts of a ticket; None for people and devices. ``people`` are the handles the
    hub knows (the ticket's own reporter and assignee are always known); ``fp`` and
    ``vector`` are the title's fingerprint and the embedding when the caller computed
    them already (see :func:`facts_of_many`)."""
    if not isinstance(record, Incident | Problem | KnownError):
        return None
    from .embedding import embed, encode

    people = people or People()
    own = frozenset(handles_of_record(record))
    fp = fp or fingerprint(people.mask(record.title, own))
    service = _folded(record.service)
    first = record.refs[0] if record.refs else None
    links = record.links
    if vector is None:
        opening = _opening(record, people, own)
        vector = encode(embed([semantic_text(fp.tokens, opening, service)])[0])
    facts = TicketFacts(
        record_id=record.id,
        kind=record.kind,
        title=record.title,
        opened_at=_opened(record) or now,
        status=record.status.value,
        is_open=record.status in _OPEN_STATUSES,
        origin=first.system if first else None,
        label=(first.key or first.remote_id) if first else None,
        service=service,
        category=_folded(record.category),
        assignment_group=record.assignment_group,
        reporter=_person(record),
        tags=tuple(record.tags),
        tokens=fp.tokens,
        signature=fp.signature,
        text=fp.text,
        problem_ids=tuple(
            link.target_id for link in links if link.kind is LinkKind.CAUSED_BY and link.target_id
        ),
        related_ids=tuple(
            link.target_id
            for link in links
            if link.kind is not LinkKind.CAUSED_BY and link.target_id
        ),
        mentions=_mentions(record),
        notes=tuple(c.id for c in record.comments if c.id.startswith(RULE_NOTE_PREFIX)),
        vector=vector,
    )
    if isinstance(record, Incident):
        facts.major = record.major
        facts.priority = int(record.priority) if record.priority else None
        facts.device = record.device_id or record.enrichment.device_id
        facts.resolution_code = _code(record.resolution_code)
    elif isinstance(record, Problem):
        facts.priority = int(record.priority) if record.priority else None
        facts.known_error = record.known_error
        facts.workaround = record.workaround
        facts.root_cause = bool(record.root_cause)
        facts.resolution_code = _code(record.resolution_code)
        facts.fixed = record.status in {ProblemStatus.RESOLVED, ProblemStatus.CLOSED} and (
            record.resolution_code in {None, ResolutionCode.FIXED}
        )
    else:
        facts.known_error = record.status is KnownErrorStatus.PUBLISHED
        facts.workaround = record.workaround
        facts.root_cause = bool(record.cause)
        facts.fixed = record.status is KnownErrorStatus.FIXED
    return facts


#: How much of a description is embedded: its first sentence within these characters.
OPENING = 400


def embedded_part(description: str) -> str:
    """What of ``description`` :func:`semantic_text` can read: up to its first sentence
    break after its first word. Masking people there masks what is embedded (no handle
    spans a break, and masking keeps every break), so the rest of a long description is
    neither masked nor looked up for people."""
    start = len(description) - len(description.lstrip())
    found = _SENTENCE.search(description, start)
    return description[: found.end()] if found else description


def masked_opening(description: str, people: People, own: frozenset[str]) -> str:
    """``people.mask(description, own)[:OPENING]``, masking no more than that needs.

    A long description is masked up to a space past twice OPENING characters (no handle
    spans a space, so that is a prefix of the whole masked text), and whole only when
    masking shrank it below OPENING."""
    if len(description) > 2 * OPENING:
        cut = description.find(" ", 2 * OPENING)
        if cut != -1:
            opening = people.mask(description[:cut], own)
            if len(opening) >= OPENING:
                return opening[:OPENING]
    return people.mask(description, own)[:OPENING]


def _opening(ticket: Incident | Problem | KnownError, people: People, own: frozenset[str]) -> str:
    return masked_opening(embedded_part(ticket.description), people, own)


def semantic_text(tokens: tuple[str, ...], description: str, service: str | None) -> str:
    """What is embedded: the title's words, then the description's first words, without
    placeholders (a host says nothing of the cause) nor the service's own words (within
    the service, "vpn" says nothing either)."""
    implied = _service_words(service) if service else frozenset()
    # The first sentence says what broke; the next ones are details ("screenshot attached").
    first = _SENTENCE.split(description[:OPENING].strip(), maxsplit=1)[0]
    opening = normalize(first)[:DESCRIPTION_WORDS]
    parts = [
        " ".join(w for w in words if w[0] != "_" and w not in implied)
        for words in (tokens, opening)
    ]
    return " . ".join(part for part in parts if part)


@lru_cache(maxsize=1024)
def _service_words(service: str) -> frozenset[str]:
    return frozenset(normalize(service.replace("-", " ")))


def _opened(record: Incident | Problem | KnownError) -> datetime | None:
    if isinstance(record, Incident) and record.opened_at:
        return record.opened_at
    return record.created_at


def _folded(value: str | None) -> str | None:
    return value.strip().casefold() or None if value else None


def _person(record: Incident | Problem | KnownError) -> str | None:
    # The directory's person when enrichment found them, else the e-mail the ticket names.
    enrichment = record.enrichment
    if enrichment.reporter_id:
        return enrichment.reporter_id
    email = (record.reporter.email if record.reporter else None) or enrichment.reporter_email
    return email.casefold() if email else None


def _code(code: ResolutionCode | None) -> str | None:
    return code.value if code else None


def _mentions(record: Incident | Problem | KnownError) -> tuple[str, ...]:
    # Notes rules wrote name the tickets they link; reading them back would loop.
    bodies = (c.body for c in record.comments if not c.id.startswith(RULE_NOTE_PREFIX))
    texts = [record.title, record.description, *bodies]
    found: dict[str, None] = {}
    for text in texts:
        if not _MAY_MENTION.search(text):
            continue
        for match in MENTION.finditer(text):
            found.setdefault(match.group(0).rstrip(".,;:"), None)
            if len(found) >= MAX_MENTIONS:
                return tuple(found)
    return tuple(found)
