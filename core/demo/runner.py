"""The demo, step by step: serve the four emulators with the story in them, run the hub
against them with the demo's config (backfill, sync, rules, outbox: the same code the
CLI and the daemon run), let people act in their tools, and print what happened.

Two things differ from a production run, both about time, neither about behaviour: the
emulators and the hub share one clock set to the story's Friday afternoon (so "Fridays
over five weeks" is what the data says), and the clock is moved on two minutes where
Zendesk's exports would make a person wait that long for a new ticket to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from socket import socket

import anyio
from rich.console import Console

from ..config import Config, load_config
from ..engine import Hub, backfill, open_hub, sync_once
from ..errors import ConfigError
from ..model import AnyRecordType, Incident, LinkKind, RecordKind, utcnow
from ..plugins import Plugins, get_plugins
from . import setup
from .people import Agents, TicketComment
from .show import TOOL_NAMES, Printer, cut, when
from .story import STORY, Story, story_now
from .world import World, served

#: How far back the backfill reads: the story's five weeks and a little more.
HISTORY = timedelta(days=42)
RULES_AUTHOR = "itsmhub rules"
#: At most this many cycles drain what the first sync queued (a vendor job may take two).
DRAIN_CYCLES = 5


@dataclass
class Outcome:
    """What the demo did, for its test: the emulators' state stays readable in ``world``."""

    world: World
    problem: str | None = None
    """The key of the problem the rules opened (in ServiceNow)."""
    links: list[tuple[str, str, str]] = field(default_factory=list)
    """(rule, ticket, linked ticket) of every cross-tool link the rules made."""
    noted: list[str] = field(default_factory=list)
    """Tickets that received the workaround once the problem was a known error."""
    new_ticket: int | None = None
    """The id of the Zendesk ticket filed after the known error."""
    new_ticket_comments: list[TicketComment] = field(default_factory=list)


def run_demo(
    config_path: Path,
    *,
    console: Console,
    sockets: Mapping[str, socket] | None = None,
    story: Story = STORY,
    now: datetime | None = None,
) -> Outcome:
    """Run the whole demo against the emulators ``config_path`` names.

    ``sockets`` are listening sockets by connector kind (tests bind free ports); by
    default each emulator listens where its connector points.
    """
    plugins = get_plugins()
    unresolved = load_config(config_path, plugins, resolve_secrets=False)
    targets = setup.targets(unresolved)
    setup.credentials_in_environment(targets, plugins)
    config = _unpaced(load_config(config_path, plugins))
    # Ports first: a demo already running keeps its store.
    bound = dict(sockets) if sockets is not None else setup.bind_all(targets)
    try:
        setup.fresh_store(config)
    except ConfigError:
        for sock in bound.values():
            sock.close()
        raise
    moment = story_now(now or utcnow())
    world = World.build(moment)
    world.load(story, moment)
    shown = "itsmhub" + ("" if config_path == Path("config.toml") else f" -c {config_path}")
    demo = Demo(config, plugins, world, story, targets, Printer(console, shown))
    with served(world, bound) as urls:
        demo.urls = {targets[kind].name: url for kind, url in urls.items()}
        anyio.run(demo.run, moment)
    return demo.outcome


class Demo:
    """One run of the demo over an opened hub."""

    def __init__(
        self,
        config: Config,
        plugins: Plugins,
        world: World,
        story: Story,
        targets: Mapping[str, setup.Target],
        out: Printer,
    ) -> None:
        self.config = config
        self.plugins = plugins
        self.world = world
        self.story = story
        self.names = {kind: target.name for kind, target in targets.items()}
        self.out = out
        self.urls: dict[str, str] = {}
        self.outcome = Outcome(world)

    async def run(self, now: datetime) -> None:
        self.introduce(now)
        credentials = {
            kind: self.plugins.registry.emulators.get(kind).credentials for kind in self.names
        }
        agents = Agents({k: self.urls[n] for k, n in self.names.items()}, credentials)
        try:
            async with open_hub(self.config, self.plugins, clock=self.world.clock) as hub:
                await self.first_sync(hub, now)
                records = await self.records(hub)
                self.show_links(records)
                self.show_problem(records)
                await self.show_candidates(hub, now)
                await self.known_error(hub, agents)
                await self.new_report(hub, agents)
        finally:
            await agents.aclose()
        self.out.console.print()
        self.out.say(
            "[bold]Done.[/] The store is in .demo/; the commands above read it again. "
            "`itsmhub emulate KIND --seed 1` serves one emulator to try the rest on."
        )

    # --- the steps ----------------------------------------------------------------------

    def introduce(self, now: datetime) -> None:
        story, keys = self.story, self.world.keys
        self.out.heading(
            "The story: five weeks at Acme, in three ticketing tools and a directory",
            f"It is {when(now)} UTC, a Friday. The help desk works in Zendesk, IT operations "
            "in ServiceNow, engineering in Jira; Okta knows everyone and their laptops.",
        )
        vpn = [t for t in story.tickets if t.service == "VPN"]
        rows = [
            (TOOL_NAMES[t.system], keys[t.ref], when(now - t.ago), t.title, t.reporter)
            for t in sorted(vpn, key=lambda t: -t.ago.total_seconds())
        ]
        self.out.say("The VPN drops on Friday afternoons, and each team files it in its own tool:")
        self.out.table(["tool", "ticket", "filed (UTC)", "title", "reporter"], rows)
        hire = next(p for p in story.people if p.email == story.new_hire)
        onboarding = [t for t in story.tickets if t.reporter == hire.email]
        self.out.say(
            f"\n{hire.name} started on Monday. Okta put her in {', '.join(hire.groups)} only "
            f"(no VPN Users, no {hire.department}); her laptop {hire.laptop_serial} got no "
            "apps. She told two teams:"
        )
        self.out.table(
            ["tool", "ticket", "filed (UTC)", "title"],
            [(TOOL_NAMES[t.system], keys[t.ref], when(now - t.ago), t.title) for t in onboarding],
        )
        self.out.say(
            f"Plus {len(story.tickets) - len(vpn) - len(onboarding)} other tickets of a normal "
            f"month, and {len(story.people)} people in Okta."
        )

    async def first_sync(self, hub: Hub, now: datetime) -> None:
        self.out.heading(
            "Backfill, then one sync",
            f"The hub reads {HISTORY.days} days of history from each ticketing tool, then "
            "syncs once: pull (Okta first), enrich, run the rules, push.",
        )
        read: dict[str, int] = {}
        for kind in ("servicenow", "jira", "zendesk"):
            name = self.names[kind]
            for stream in hub.streams_of(name):
                if stream.backfill:
                    stats = await backfill(hub, name, stream, since=now - HISTORY)
                    read[name] = read.get(name, 0) + stats.created
        report = await sync_once(hub)
        rows = [
            (
                TOOL_NAMES[kind],
                read.get(name, "-"),
                report.of(name).pull.seen,
                report.of(name).push.pushed,
                "; ".join(report.of(name).errors) or "ok",
            )
            for kind, name in self.names.items()
        ]
        self.out.table(["tool", "backfilled", "read by the sync", "written", "status"], rows)
        if report.rules is not None:
            counts = ", ".join(f"{n} {action}" for action, n in sorted(report.rules.counts.items()))
            self.out.say(f"rules: {report.rules.seen} tickets looked at; proposed {counts}")
        # What the rules decided reaches the tools as the outbox drains: the problem's
        # copies first, then each incident's link to the copy in its own tool.
        pushed = dict.fromkeys(self.names.values(), 0)
        cycles = 0
        while cycles < DRAIN_CYCLES and await hub.store.list_outbox(limit=1):
            following = await sync_once(hub)
            cycles += 1
            for name in pushed:
                pushed[name] += following.of(name).push.pushed
        written = ", ".join(
            f"{TOOL_NAMES[kind]} {pushed[name]}"
            for kind, name in self.names.items()
            if kind != "okta"
        )
        self.out.say(
            f"The next {cycles} cycles (the daemon's, a minute apart) write what those rules "
            f"decided into the tools, as Zendesk's bulk jobs finish: {written}."
        )
        self.out.again(
            f"backfill --connector {self.names['zendesk']} --since {HISTORY.days}d",
            "status",
            "records list --kind incident",
        )

    def show_links(self, records: Mapping[str, AnyRecordType]) -> None:
        self.out.heading(
            "Cross-tool links the rules found",
            "Same outage filed twice, a ticket citing another by its key, one person's "
            "onboarding told to two teams (Okta knows it is her, and her laptop):",
        )
        rows = []
        shown: AnyRecordType | None = None
        for record in _by_time(records.values()):
            for link in record.links:
                if link.kind is LinkKind.CAUSED_BY or not (link.origin or "").startswith("rule:"):
                    continue
                target = records.get(link.target_id or "")
                rule = (link.origin or "").removeprefix("rule:")
                pair = (rule, _name(record), _name(target))
                self.outcome.links.append(pair)
                rows.append((*pair, cut(link.reason or "", 70)))
                # The onboarding pair shows best why: the directory knows her and her laptop.
                if shown is None or rule.startswith("same-subject"):
                    shown = record
        self.out.table(["rule", "ticket", "linked to", "why"], rows)
        if shown is not None:
            self.out.again(f"rules explain {_ident(shown)}", f"records show {_ident(shown)}")

    def show_problem(self, records: Mapping[str, AnyRecordType]) -> None:
        problem = next((r for r in records.values() if r.kind is RecordKind.PROBLEM), None)
        if problem is None:
            self.out.heading("No problem was opened")
            return
        self.outcome.problem = _key(problem, self.names["servicenow"])
        self.out.heading(
            f"The problem the rules opened in ServiceNow: {self.outcome.problem}",
            f'"{problem.title}"',
        )
        linked = [
            r
            for r in _by_time(records.values())
            if any(link.target_id == problem.id for link in r.links_of(LinkKind.CAUSED_BY))
        ]
        snow = self.names["servicenow"]
        copies = [
            f"{TOOL_NAMES[kind]} {_key(problem, name)}"
            for kind, name in self.names.items()
            if kind not in ("servicenow", "okta") and problem.ref_for(name)
        ]
        copies = [c.replace("Zendesk ", "Zendesk #") for c in copies]
        if copies:
            self.out.say(
                f"Copied by the routing rule problems-everywhere to {' and '.join(copies)}."
            )
        rows = [
            (_name(r), when(_opened(r)), cut(r.title), self._native_link(r, problem))
            for r in linked
        ]
        self.out.table(["incident", "filed (UTC)", "title", "linked in its own tool"], rows)
        why = problem.description.partition("Why: ")[2].splitlines()
        self.out.say(f"Why: {why[0] if why else problem.description}")
        self.out.again(f"records show {snow}:{self.outcome.problem}")

    def _native_link(self, incident: AnyRecordType, problem: AnyRecordType) -> str:
        """How the incident's tool itself shows its link to the problem's copy there."""
        names = self.names
        for kind in ("servicenow", "zendesk", "jira"):
            mine, theirs = incident.ref_for(names[kind]), problem.ref_for(names[kind])
            if mine is None:
                continue
            if theirs is None:
                return "in the hub only"
            if kind == "servicenow":
                row = self.world.servicenow.get("incident", mine.remote_id)
                held = row is not None and row["problem_id"] == theirs.remote_id
                return "problem_id in ServiceNow" if held else "in the hub only"
            if kind == "zendesk":
                ticket = self.world.zendesk.account.tickets.get(int(mine.remote_id))
                held = ticket is not None and ticket.problem_id == int(theirs.remote_id)
                return f"problem_id {theirs.remote_id} in Zendesk" if held else "in the hub only"
            ends = {mine.remote_id, theirs.remote_id}
            held = any({k.inward_id, k.outward_id} == ends for k in self.world.jira.links.values())
            return f"issue link to {theirs.key} in Jira" if held else "in the hub only"
        return "in the hub only"

    async def show_candidates(self, hub: Hub, now: datetime) -> None:
        from ..engine.rules_run import problem_candidates

        self.out.heading(
            "Problem candidates: what recurs that no problem covers yet",
            "Ranked by disruption: priority weights × people affected × departments (Okta).",
        )
        found = await problem_candidates(hub, since=now - timedelta(days=90), min_size=2)
        rows = [
            (
                f"{c.disruption:,.0f}",
                len(c.incidents),
                len(c.people),
                ", ".join(sorted(c.departments)) or "-",
                ", ".join(TOOL_NAMES.get(s, s) for s in c.systems),
                cut(c.title, 40),
            )
            for c in found[:5]
        ]
        self.out.table(["disruption", "incidents", "people", "departments", "tools", "like"], rows)
        self.out.again("problems candidates --min-size 2")

    async def known_error(self, hub: Hub, agents: Agents) -> None:
        problem = self.outcome.problem
        if problem is None:
            return
        self.out.heading(
            f"IT operations finds the cause and marks {problem} a known error",
            f'In ServiceNow they set known_error and the workaround: "{self.story.workaround}"',
        )
        await agents.mark_known_error(problem, self.story.workaround)
        report = await sync_once(hub)
        records = await self.records(hub)
        rows = []
        for record in _by_time(records.values()):
            if _has_workaround(record, self.story.workaround):
                self.outcome.noted.append(_name(record))
                rows.append(
                    (_name(record), cut(record.title), "the workaround, as an internal note")
                )
        self.out.say("The next sync takes the workaround to the open incidents of that problem:")
        self.out.table(["incident", "title", "received"], rows)
        pushed = sum(r.push.pushed for r in report.connectors.values())
        self.out.say(f"({pushed} writes to the tools in that sync)")
        if rows:
            noted = next(r for r in records.values() if _name(r) == self.outcome.noted[-1])
            self.out.again(f"records show {_ident(noted)}")

    async def new_report(self, hub: Hub, agents: Agents) -> None:
        ticket = self.story.new_report
        reporter = next(p.name for p in self.story.people if p.email == ticket.reporter)
        ticket_id = await agents.report(ticket, reporter)
        self.outcome.new_ticket = ticket_id
        self.out.heading(
            f"A new Friday VPN report in Zendesk: #{ticket_id}",
            f'{reporter} writes "{ticket.title}". Two minutes later (Zendesk\'s exports show '
            "a ticket once a minute has passed), the next sync:",
        )
        self.world.clock.advance(120)
        await sync_once(hub)
        comments = await agents.comments(ticket_id)
        self.outcome.new_ticket_comments = comments
        self.out.table(
            ["Zendesk #" + str(ticket_id), "comment"],
            [
                ("public" if c.public else "internal", cut(c.body.replace("\n", " "), 110))
                for c in comments
            ],
        )
        self.out.again(f"records show {self.names['zendesk']}:{ticket_id}")

    # --- reading the hub ----------------------------------------------------------------

    async def records(self, hub: Hub) -> dict[str, AnyRecordType]:
        """Every ticket the hub holds, by hub id."""
        summaries = await hub.store.list_records(limit=10_000)
        ids = [s.id for s in summaries if s.kind.value in ("incident", "problem", "known_error")]
        loaded = await hub.store.load_records(ids)
        return {record_id: stored.record for record_id, stored in loaded.items()}


def _by_time(records: object) -> list[AnyRecordType]:
    return sorted(records, key=lambda r: _opened(r) or datetime.max.astimezone())  # type: ignore[arg-type]


def _opened(record: AnyRecordType) -> datetime | None:
    if isinstance(record, Incident) and record.opened_at is not None:
        return record.opened_at
    return record.created_at


def _key(record: AnyRecordType, system: str) -> str | None:
    ref = record.ref_for(system)
    return None if ref is None else ref.key or ref.remote_id


def _remote_id(record: AnyRecordType, system: str) -> str | None:
    ref = record.ref_for(system)
    return None if ref is None else ref.remote_id


def _name(record: AnyRecordType | None) -> str:
    """``Zendesk #8``, ``ServiceNow INC0010007``, ``Jira OPS-3``."""
    if record is None or not record.refs:
        return "-"
    ref = record.refs[0]
    kind = ref.system
    key = ref.key or ref.remote_id
    return f"{TOOL_NAMES.get(kind, kind)} {'#' if key.isdigit() else ''}{key}"


def _ident(record: AnyRecordType) -> str:
    ref = record.refs[0]
    return f"{ref.system}:{ref.key or ref.remote_id}"


def _has_workaround(record: AnyRecordType, workaround: str) -> bool:
    comments = getattr(record, "comments", [])
    return any(
        c.author is not None and c.author.display_name == RULES_AUTHOR and workaround in c.body
        for c in comments
    )


def _unpaced(config: Config) -> Config:
    """The demo's Zendesk has its export limit switched off (``world.py``) and its syncs
    follow each other in seconds: the connector need not pace itself to 10 a minute."""
    connectors = dict(config.connectors)
    for name, settings in connectors.items():
        if settings.type == "zendesk":
            connectors[name] = settings.model_copy(update={"export_requests_per_minute": 600})
    return config.model_copy(update={"connectors": connectors})
