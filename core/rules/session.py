"""A rule session: the enabled rules of one config, seeing tickets one at a time.

The same session serves a dry-run over history (tickets replayed oldest first) and the
sync cycle (the tickets that changed), so both decide the same way. Rules only propose;
see ``itsmhub.engine.rules_run`` for reading the store and acting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from ..config import Config
from ..errors import ConfigError
from ..model import LinkKind, RecordKind
from .builtin import (
    FollowUpSettings,
    KnownErrorFeedbackSettings,
    LinkingSettings,
    RecurrenceSettings,
)
from .catalog import Catalog
from .evaluator import Evaluator
from .facts import TicketFacts
from .feedback import KnownErrorFeedbackEvaluator
from .follow_up import FollowUpEvaluator
from .linking import LinkingEvaluator
from .proposals import AddLink, AnyProposal
from .recurrence import RecurrenceEvaluator
from .subject import SameSubjectEvaluator, SameSubjectSettings

# Order matters: an incident that matches a known error is linked to it before any rule
# could open a new problem for it; a follow-up problem comes next, so that recurrence sees
# the incident under it (as it will on every later cycle) and links its recurrences there.
_EVALUATORS: tuple[tuple[type, type[Evaluator]], ...] = (
    (KnownErrorFeedbackSettings, KnownErrorFeedbackEvaluator),
    (FollowUpSettings, FollowUpEvaluator),
    (RecurrenceSettings, RecurrenceEvaluator),
    (LinkingSettings, LinkingEvaluator),
    (SameSubjectSettings, SameSubjectEvaluator),
)

_URL_PARTS = re.compile(r"[\s/?&=#]+")

TICKETS = (RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR)
PROBLEMS = (RecordKind.PROBLEM, RecordKind.KNOWN_ERROR)


class RuleSession:
    """The evaluators of the enabled rules (or of one), sharing one catalog."""

    def __init__(self, config: Config, *, only: str | None = None) -> None:
        if only is not None and only not in config.rules:
            known = ", ".join(sorted(config.rules)) or "none"
            raise ConfigError(f"no rule is named {only!r}", fix=f"use one of: {known}")
        self.catalog = Catalog()
        self.evaluators: list[Evaluator] = []
        for settings_type, evaluator in _EVALUATORS:
            for name, rule in sorted(config.rules.items()):
                # Naming one rule runs it even when disabled: that is how admins try it.
                chosen = name == only if only is not None else rule.enabled
                if isinstance(rule, settings_type) and chosen:
                    self.evaluators.append(evaluator(name, rule, self.catalog))
        self.hosts = _instance_hosts(config)

    @property
    def window(self) -> timedelta:
        """How far back the rules look: the longest window of any rule."""
        windows = [
            getattr(e.settings, "memory", getattr(e.settings, "window", timedelta(0)))
            for e in self.evaluators
        ]
        return max(windows, default=timedelta(0))

    def learn(self, facts: TicketFacts) -> None:
        """Know of a problem or known error before the incidents that may match it."""
        self.catalog.observe(facts)
        for evaluator in self.evaluators:
            if isinstance(evaluator, KnownErrorFeedbackEvaluator):
                evaluator.observe(facts, facts.opened_at)

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        """What the rules propose for one ticket, seen as of ``now``."""
        self.catalog.observe(facts)
        proposals: list[AnyProposal] = []
        for evaluator in self.evaluators:
            made = evaluator.observe(facts, now)
            if made:
                proposals += made
        if proposals and any(_links_to_a_problem(p, facts.record_id) for p in proposals):
            # Another rule just put it under a problem: if that one is a known error, its
            # workaround is due now, not on some later change of the ticket.
            proposals += self.feedback(facts, now)
        return proposals

    @property
    def feedback_window(self) -> timedelta | None:
        """How far back known errors reach open incidents (None: no feedback rule)."""
        windows = [
            e.settings.window for e in self.evaluators if isinstance(e, KnownErrorFeedbackEvaluator)
        ]
        return max(windows, default=None)

    def feedback(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        """Known-error feedback alone, for incidents revisited because a problem changed."""
        proposals: list[AnyProposal] = []
        for evaluator in self.evaluators:
            if isinstance(evaluator, KnownErrorFeedbackEvaluator):
                proposals += evaluator.observe(facts, now)
        return proposals

    def unresolved_mentions(self, batch: Iterable[TicketFacts]) -> dict[str, list[str]]:
        """Mentions not resolved yet → the keys or remote ids to look up for each."""
        wanted: dict[str, list[str]] = {}
        for facts in batch:
            for mention in facts.mentions:
                if mention not in self.catalog.mentions and mention not in wanted:
                    wanted[mention] = self.lookups(mention)
        return wanted

    def lookups(self, mention: str) -> list[str]:
        """What to look up for a mention: a key as written, or ids found in a URL."""
        if mention.startswith("#"):
            return [mention[1:]]
        if not mention.startswith("http"):
            return [mention]
        parts = urlsplit(mention)
        if parts.hostname not in self.hosts:
            return []  # a URL of an instance no connector knows
        # Query values may hold a URL of their own (ServiceNow's nav_to.do?uri=…sys_id=…).
        text = " ".join([parts.path, *(v for vs in parse_qs(parts.query).values() for v in vs)])
        return [t for t in _URL_PARTS.split(text) if t and any(c.isdigit() for c in t)]

    def system_of(self, mention: str) -> str | None:
        """The connector a URL mention belongs to (None for keys, which any may hold)."""
        if mention.startswith("http"):
            return self.hosts.get(urlsplit(mention).hostname or "")
        return None


def _links_to_a_problem(proposal: AnyProposal, record_id: str) -> bool:
    return (
        isinstance(proposal, AddLink)
        and proposal.record_id == record_id
        and proposal.kind is LinkKind.CAUSED_BY
    )


def has_rules(config: Config) -> bool:
    """Whether any enabled rule acts beyond routing (which the sync engine does itself)."""
    kinds = tuple(settings for settings, _ in _EVALUATORS)
    return any(isinstance(rule, kinds) and rule.enabled for rule in config.rules.values())


def _instance_hosts(config: Config) -> dict[str, str]:
    """Host name → connector, as each connector's settings tell them."""
    hosts: dict[str, str] = {}
    for name, settings in sorted(config.connectors.items()):
        for host in settings.instance_hosts():
            hosts.setdefault(host, name)
    return hosts
