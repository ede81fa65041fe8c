"""Carrying out what rules propose, through the hub and its outbox.

Each proposal is one transaction: the hub records change and the outbox rows that take
the change to every tool are written together, or not at all. Each is checked against the
current state first, so carrying out a proposal twice (a retry, two runs, a replay after
a crash) changes nothing the second time: problems get a stable id, notes a stable
comment id, links are sets.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from ..model import (
    AnyRecordType,
    Comment,
    Impact,
    Incident,
    IncidentStatus,
    Link,
    LinkKind,
    PersonRef,
    Problem,
    ProblemStatus,
    Urgency,
    Visibility,
)
from ..model.records import ResolutionCode
from ..rules.facts import TICKET_KINDS
from ..rules.proposals import AddLink, AddNote, AnyProposal, CreateProblem, ResolveIncident
from ..store import StoreTransaction, VersionConflict
from .fanout import Fanout, TransactionSink
from .hub import Hub

_CLOSED_PROBLEM = frozenset({ProblemStatus.RESOLVED, ProblemStatus.CLOSED, ProblemStatus.CANCELED})
#: Who rule notes are from, in every tool.
RULES_AUTHOR = PersonRef(display_name="itsmhub rules")
#: The "system" changes made by rules come from, for routing and audit.
HUB_SOURCE = "itsmhub"


async def carry_out(hub: Hub, proposal: AnyProposal) -> bool:
    """Do what ``proposal`` says, unless it is done already; True if anything changed."""
    handlers: dict[type, Callable[[Hub, StoreTransaction, Any], Coroutine[Any, Any, bool]]] = {
        CreateProblem: _create_problem,
        AddLink: _add_link,
        AddNote: _add_note,
        ResolveIncident: _resolve,
    }
    async with hub.store.transaction() as tx:
        done = await handlers[type(proposal)](hub, tx, proposal)
        if done:
            await tx.audit(
                f"rule.{proposal.action.value}",
                record_id=_subject(proposal),
                connector=HUB_SOURCE,
                detail={"rule": proposal.rule, "reason": proposal.reason},
            )
    return done


def _subject(proposal: AnyProposal) -> str:
    if isinstance(proposal, CreateProblem):
        return proposal.problem_id
    return proposal.record_id


async def _create_problem(hub: Hub, tx: StoreTransaction, proposal: CreateProblem) -> bool:
    if await tx.get_record(proposal.problem_id) is not None:
        return False
    members = [await tx.get_record(member) for member in proposal.members]
    # Someone may have linked them to an open problem since the rule looked.
    waiting = [m for m in members if m is not None and not await _has_open_problem(tx, m)]
    if not waiting:
        return False
    now = hub.clock()
    impact, urgency = _worst(waiting)
    problem = Problem(
        id=proposal.problem_id,
        title=proposal.title,
        description=proposal.description,
        service=proposal.service,
        category=proposal.category,
        impact=impact,
        urgency=urgency,
        created_at=now,
        updated_at=now,
    )
    try:
        await tx.put_record(problem, expected_version=0)
    except VersionConflict:
        return False
    if proposal.create_in in hub.connectors:
        await _fanout(hub, tx).queue_create(
            proposal.create_in, problem, rule=proposal.rule, options=proposal.options
        )
    reason = f"{proposal.rule}: {proposal.reason}"
    for member in waiting:
        link = Link(
            kind=LinkKind.CAUSED_BY,
            target_id=problem.id,
            origin=f"rule:{proposal.rule}",
            reason=reason[:500],
        )
        await _link(hub, tx, member, link)
    return True


def _worst(members: list[AnyRecordType]) -> tuple[Impact | None, Urgency | None]:
    """The widest impact and the highest urgency among a problem's incidents (1 is the
    most), so a problem opened for P1 incidents is not born a P4."""
    impacts = [m.impact for m in members if isinstance(m, Incident) and m.impact]
    urgencies = [m.urgency for m in members if isinstance(m, Incident) and m.urgency]
    return min(impacts, default=None), min(urgencies, default=None)


async def _has_open_problem(tx: StoreTransaction, record: AnyRecordType) -> bool:
    for link in record.links_of(LinkKind.CAUSED_BY):
        target = await tx.get_record(link.target_id) if link.target_id else None
        if isinstance(target, Problem) and target.status not in _CLOSED_PROBLEM:
            return True
    return False


async def _add_link(hub: Hub, tx: StoreTransaction, proposal: AddLink) -> bool:
    record = await tx.get_record(proposal.record_id)
    target = await tx.get_record(proposal.target_id)
    if record is None or target is None or record.kind not in TICKET_KINDS:
        return False
    if any(link.target_id == record.id for link in target.links):
        return False  # already linked the other way round
    link = Link(
        kind=proposal.kind,
        target_id=target.id,
        origin=f"rule:{proposal.rule}",
        reason=proposal.reason[:500],
    )
    return await _link(hub, tx, record, link)


async def _link(hub: Hub, tx: StoreTransaction, record: AnyRecordType, link: Link) -> bool:
    if any(existing.target_id == link.target_id for existing in record.links):
        return False
    record.links = [*record.links, link]
    await tx.put_record(record)
    fanout = _fanout(hub, tx)
    for system in _systems(hub, record):
        await fanout.link(system, record, link)
    return True


async def _add_note(hub: Hub, tx: StoreTransaction, proposal: AddNote) -> bool:
    record = await tx.get_record(proposal.record_id)
    if record is None or not hasattr(record, "comments"):
        return False
    if any(comment.id == proposal.note_id for comment in record.comments):
        return False
    note = Comment(
        id=proposal.note_id,
        body=proposal.body,
        visibility=Visibility.INTERNAL,
        author=RULES_AUTHOR,
        created_at=hub.clock(),
    )
    record.comments = [*record.comments, note]
    await tx.put_record(record)
    fanout = _fanout(hub, tx)
    for system in _systems(hub, record):
        await fanout.comment(system, record, note.id)
    return True


async def _resolve(hub: Hub, tx: StoreTransaction, proposal: ResolveIncident) -> bool:
    record = await tx.get_record(proposal.record_id)
    if not isinstance(record, Incident) or record.status not in {
        IncidentStatus.NEW,
        IncidentStatus.IN_PROGRESS,
        IncidentStatus.ON_HOLD,
    }:
        return False
    now = hub.clock()
    resolved = record.model_copy(
        update={
            "status": IncidentStatus.RESOLVED,
            "resolution_code": ResolutionCode.FIXED,
            "resolution_notes": proposal.notes,
            "resolved_at": now,
            "updated_at": now,
        }
    )
    await tx.put_record(resolved)
    bases = {b.system: b for b in await tx.bases_of(resolved.id)}
    await _fanout(hub, tx).propagate(resolved, bases, source=HUB_SOURCE)  # type: ignore[arg-type]
    return True


def _fanout(hub: Hub, tx: StoreTransaction) -> Fanout:
    return Fanout(hub, TransactionSink(tx, HUB_SOURCE))


def _systems(hub: Hub, record: AnyRecordType) -> list[str]:
    return [ref.system for ref in record.refs if ref.system in hub.connectors]
