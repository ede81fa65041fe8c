"""Running the rules: over history (dry-run, apply) and on what changed (each sync cycle).

A replay reads ticket facts oldest first, after learning every problem and known error,
and lets a :class:`~itsmhub.rules.session.RuleSession` propose. The incremental step
keeps one session warm between cycles and feeds it only the tickets whose facts changed
since its stored position, so one new incident costs a few index lookups, not a replay.
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import ItsmhubError
from ..model import RecordKind
from ..rules.builtin import RecurrenceSettings
from ..rules.candidates import Candidate, add_departments, find_candidates
from ..rules.catalog import Catalog
from ..rules.facts import TicketFacts
from ..rules.proposals import AnyProposal
from ..rules.recurrence import RecurrenceEvaluator
from ..rules.session import PROBLEMS, TICKETS, RuleSession, has_rules
from .effects import carry_out
from .hub import Hub

#: Tickets observed per batch (mentions in a batch are resolved in one query).
BATCH = 2000
#: Where the incremental step keeps its position, in the cursors table.
CURSOR = ("itsmhub", "rules")

Progress = Callable[[int], None]


#: Takes each proposal of a replay as it is made, instead of the report keeping them all.
Sink = Callable[[AnyProposal], None]


@dataclass
class RulesReport:
    """What a rules run saw, proposed and did. ``proposals`` stays empty when a sink
    took them; ``counts`` always has them by action."""

    seen: int = 0
    proposals: list[AnyProposal] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    applied: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    held: bool = True
    """False when another worker was running the rules (normal with several: not an error)."""


async def replay(
    hub: Hub,
    session: RuleSession,
    *,
    since: datetime | None,
    now: datetime,
    changed_until: tuple[datetime, str] | None = None,
    progress: Progress | None = None,
    sink: Sink | None = None,
) -> RulesReport:
    """Every ticket opened since ``since``, oldest first, through the session. Proposals
    go to ``sink`` when given (a million-incident history proposes a lot), else into the
    report."""
    started = time.perf_counter()
    report = RulesReport()
    with _collector_paused():
        async for problem in hub.store.stream_facts(PROBLEMS, changed_until=changed_until):
            session.learn(problem)
        batch: list[TicketFacts] = []
        tickets = hub.store.stream_facts(TICKETS, since=since, changed_until=changed_until)
        async for facts in tickets:
            batch.append(facts)
            if len(batch) >= BATCH:
                await _observe_batch(hub, session, batch, now, report, progress, sink)
                batch = []
        await _observe_batch(hub, session, batch, now, report, progress, sink)
    report.seconds = time.perf_counter() - started
    return report


async def _observe_batch(
    hub: Hub,
    session: RuleSession,
    batch: list[TicketFacts],
    now: datetime,
    report: RulesReport,
    progress: Progress | None,
    sink: Sink | None,
) -> None:
    proposals = await observe(hub, session, batch, now)
    report.counts.update(p.action.value for p in proposals)
    if sink is None:
        report.proposals += proposals
    else:
        for proposal in proposals:
            sink(proposal)
    report.seen += len(batch)
    if progress is not None and batch:
        progress(len(batch))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a replay: the indexes hold millions of
    small objects, which each full collection would walk again and again, for nothing
    (they form no cycles; reference counting frees them). Halves a million-incident
    dry-run. On the way out they are moved out of the collector's sight (``gc.freeze``),
    or the first collection after it would walk them all once more."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


async def observe(
    hub: Hub, session: RuleSession, batch: Sequence[TicketFacts], now: datetime
) -> list[AnyProposal]:
    """Resolve the batch's mentions, then let every rule see each ticket."""
    await resolve_mentions(hub, session, batch)
    proposals: list[AnyProposal] = []
    for facts in batch:
        proposals += session.observe(facts, now)
    return proposals


async def resolve_mentions(hub: Hub, session: RuleSession, batch: Sequence[TicketFacts]) -> None:
    """Find the tickets the batch's new mentions name: keys (OPS-123, INC0012345, #4711)
    by key, and what a URL of a known instance holds by key or remote id, in its system."""
    wanted = session.unresolved_mentions(batch)
    if not wanted:
        return
    keys = sorted({value for values in wanted.values() for value in values})
    in_urls = sorted({v for m, values in wanted.items() if session.system_of(m) for v in values})
    systems = sorted(hub.config.connectors)
    found = await hub.store.resolve_keys(keys, systems, remote_ids=in_urls)
    for mention, values in wanted.items():
        system = session.system_of(mention)
        named = {
            (owner, record_id)
            for value in values
            for owner, record_id in found.get(value, [])
            if system is None or owner == system
        }
        session.catalog.mentions[mention] = sorted(named)


async def run_over_history(
    hub: Hub,
    *,
    since: datetime | None,
    only: str | None = None,
    apply: bool = False,
    progress: Progress | None = None,
    sink: Sink | None = None,
) -> RulesReport:
    """``rules dry-run`` (``apply=False``) and ``rules apply`` (which keeps the proposals
    to carry them out after the replay, so give it no sink)."""
    if apply and sink is not None:
        raise ValueError("rules apply carries out the proposals it keeps: give it no sink")
    session = RuleSession(hub.config, only=only)
    report = await replay(hub, session, since=since, now=hub.clock(), progress=progress, sink=sink)
    if apply:
        await _carry_out(hub, report.proposals, report)
    return report


async def _carry_out(hub: Hub, proposals: list[AnyProposal], report: RulesReport) -> None:
    """Carry each proposal out, counting what changed and what was done already."""
    for proposal in proposals:
        if await carry_out(hub, proposal):
            report.applied += 1
        else:
            report.unchanged += 1


class RulesStep:
    """The rules' part of each sync cycle: observe what changed, act on the proposals.

    The session stays warm between cycles of one process; a new process (or a position
    moved by another worker) rebuilds it by replaying the rules' window.
    """

    name = "rules"

    def __init__(self) -> None:
        self.session: RuleSession | None = None
        self.position: tuple[datetime, str] | None = None

    async def run(self, hub: Hub) -> RulesReport:
        """Observe what changed since the stored position and carry out the proposals.

        A proposal that fails (the store refused it) leaves the position before its batch
        and drops the warm session, so the next cycle decides that batch again.
        """
        report = RulesReport()
        if not has_rules(hub.config):
            return report
        started = time.perf_counter()
        async with hub.store.worker_lock("rules") as held:
            if not held:
                report.held = False  # that worker sees these changes; not a failure
                return report
            try:
                await self._run(hub, report)
            except ItsmhubError as exc:
                self.session = None  # rebuilt from the stored position next cycle
                report.errors.append(f"rules: {exc}")
                await hub.store.audit(
                    "error.rules", connector="itsmhub", detail={"error": str(exc)}
                )
        report.seconds = time.perf_counter() - started
        return report

    async def _run(self, hub: Hub, report: RulesReport) -> None:
        stored = _load_position(await hub.store.get_cursor(*CURSOR))
        session = await self._session(hub, stored)
        # Read again what changed shortly before the position: another worker's pull may
        # commit a change stamped earlier than one we read. Seeing a ticket twice
        # proposes nothing twice.
        position = (stored[0] - hub.config.sync.overlap, "") if stored else None
        until = hub.clock()
        while True:
            changed = await hub.store.facts_changed(position, until=until, limit=BATCH)
            if not changed:
                break
            batch = [facts for _, facts in changed]
            proposals = await self._observe(hub, session, batch)
            report.seen += len(batch)
            report.proposals += proposals
            report.counts.update(p.action.value for p in proposals)
            await _carry_out(hub, proposals, report)
            last_at, last = changed[-1]
            position = (last_at, last.record_id)
            if stored is None or position > stored:
                stored = position
                await hub.store.put_cursor(*CURSOR, [last_at.isoformat(), last.record_id])
            self.position = stored
            if len(changed) < BATCH:
                break

    async def _session(self, hub: Hub, stored: tuple[datetime, str] | None) -> RuleSession:
        if self.session is not None and stored == self.position:
            return self.session
        session = RuleSession(hub.config)
        if stored is not None:
            # Rebuild what the rules knew at the stored position; what they proposed then
            # was carried out then.
            now = hub.clock()
            since = now - session.window
            await replay(hub, session, since=since, now=now, changed_until=stored)
        self.session, self.position = session, stored
        return session

    async def _observe(
        self, hub: Hub, session: RuleSession, batch: list[TicketFacts]
    ) -> list[AnyProposal]:
        now = hub.clock()
        proposals: list[AnyProposal] = []
        revisit: list[TicketFacts] = []
        for facts in batch:
            if facts.kind in PROBLEMS:
                session.learn(facts)
                if facts.fixed or (facts.known_error and facts.workaround):
                    revisit += await _incidents_concerned(hub, session, facts, now)
        incidents = sorted(
            (f for f in batch if f.kind is RecordKind.INCIDENT), key=lambda f: f.opened_at
        )
        proposals += await observe(hub, session, incidents, now)
        for facts in revisit:
            proposals += session.feedback(facts, now)
        return proposals


async def _incidents_concerned(
    hub: Hub, session: RuleSession, problem: TicketFacts, now: datetime
) -> list[TicketFacts]:
    """Open incidents a changed problem may speak to: those linked to it, and (for a known
    error) those opened within the feedback window."""
    linked = await hub.store.get_facts(await hub.store.linked_to(problem.record_id))
    concerned = {f.record_id: f for f in linked.values() if f.kind is RecordKind.INCIDENT}
    window = session.feedback_window
    if problem.known_error and window is not None:
        async for facts in hub.store.stream_facts([RecordKind.INCIDENT], since=now - window):
            if facts.is_open:
                concerned.setdefault(facts.record_id, facts)
    return sorted(concerned.values(), key=lambda f: f.opened_at)


def _load_position(value: object) -> tuple[datetime, str] | None:
    if isinstance(value, list) and len(value) == 2:
        return datetime.fromisoformat(str(value[0])), str(value[1])
    return None


@dataclass
class Explanation:
    """Why each rule did or did not act on one ticket."""

    facts: TicketFacts
    rules: dict[str, list[tuple[str, bool]]]
    proposals: list[AnyProposal]


async def explain(hub: Hub, record_id: str, *, only: str | None = None) -> Explanation | None:
    """Which rules match a ticket and why: their filters, test by test, and what a replay
    of the rules' window up to and after it proposes for it."""
    found = await hub.store.get_facts([record_id])
    facts = found.get(record_id)
    if facts is None:
        return None
    session = RuleSession(hub.config, only=only)
    now = hub.clock()
    checks: dict[str, list[tuple[str, bool]]] = {}
    for evaluator in session.evaluators:
        checks[evaluator.name] = evaluator.explain(facts, now)
    mine: list[AnyProposal] = []

    def keep(proposal: AnyProposal) -> None:
        if record_id in proposal.subjects:
            mine.append(proposal)

    await replay(hub, session, since=facts.opened_at - session.window, now=now, sink=keep)
    for evaluator in session.evaluators:
        if isinstance(evaluator, RecurrenceEvaluator):
            # What the replay taught it: the exemplar the ticket resembled, and how much.
            checks[evaluator.name] += evaluator.learned(facts)
        else:
            # The others decide on what the replay loaded (known errors, their links).
            checks[evaluator.name] = evaluator.explain(facts, now)
    return Explanation(facts=facts, rules=checks, proposals=mine)


async def problem_candidates(
    hub: Hub, *, since: datetime | None, min_size: int | None = None
) -> list[Candidate]:
    """``itsmhub problems candidates``: clustered as the first recurrence rule says."""
    settings = next(
        (r for r in hub.config.rules.values() if isinstance(r, RecurrenceSettings)), None
    )
    keys = [p for p in (settings.fingerprint if settings else ["title", "service"]) if p != "title"]
    catalog = Catalog()
    async for problem in hub.store.stream_facts(PROBLEMS):
        catalog.observe(problem)
    with _collector_paused():
        incidents = [f async for f in hub.store.stream_facts([RecordKind.INCIDENT], since=since)]
        candidates = find_candidates(
            incidents,
            catalog,
            keys=keys,
            similarity=settings.similarity if settings else 0.7,
            min_size=min_size or (settings.threshold if settings else 3),
        )
    people = sorted({p for c in candidates[:200] for p in c.people if "@" not in p})
    departments = {}
    for person_id in people:
        person = await hub.store.get_record(person_id)
        department = getattr(person, "department", None)
        if department:
            departments[person_id] = department
    add_departments(candidates, departments)
    return candidates
