"""Linking: the same issue seen in several tools becomes one linked set.

Native links (Zendesk ``problem_id``, ServiceNow ``problem_id``, Jira issue links) are
mirrored by the sync engine itself. These evaluators add what no tool links on its own:
tickets whose text names another ticket (``OPS-123``, ``INC0012345``, ``#4711``, a URL of
a configured instance), and tickets filed close together about the same service, person
or device, or with similar titles. A new ticket is linked to the earliest matching one,
so a burst of reports forms a star around the first, not a web of every pair.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from datetime import datetime

from ..durations import format_duration
from .builtin import LinkingSettings, LinkMethod
from .catalog import Catalog
from .evaluator import Evaluator
from .facts import TicketFacts
from .index import SimilarityIndex
from .proposals import AnyProposal


class LinkingEvaluator(Evaluator):
    settings: LinkingSettings

    def __init__(self, name: str, settings: LinkingSettings, catalog: Catalog) -> None:
        super().__init__(name, settings, catalog)
        self.recent: dict[Hashable, deque[TicketFacts]] = {}
        self.expiry: deque[tuple[datetime, Hashable]] = deque()
        self.index = SimilarityIndex(settings.threshold, settings.window)

    def kinds(self) -> list[str]:
        return [kind.value for kind in self.settings.kinds]

    def explain(self, facts: TicketFacts, now: datetime) -> list[tuple[str, bool]]:
        checks = super().explain(facts, now)
        method = self.settings.method
        if method is LinkMethod.REFERENCES:
            checks.append((f"its text mentions {list(facts.mentions)}", bool(facts.mentions)))
        elif method is LinkMethod.SAME_FIELD:
            for path in self.settings.fields:
                value = facts.rule_field(path)
                checks.append((f"{path} is set ({value!r})", value not in (None, ())))
        elif method is LinkMethod.NATIVE:
            checks.append(("native links are mirrored by the sync engine itself", True))
        return checks

    def observe(self, facts: TicketFacts, now: datetime) -> list[AnyProposal]:
        method = self.settings.method
        if method is LinkMethod.NATIVE or facts.kind not in self.settings.kinds:
            return []
        if not self.applies(facts, now):
            return []
        if method is LinkMethod.REFERENCES:
            return self._references(facts)
        if method is LinkMethod.SAME_FIELD:
            values = tuple(facts.rule_field(path) for path in self.settings.fields)
            if any(value in (None, ()) for value in values):
                return []
            described = " and ".join(
                f"{path} {value!r}"
                for path, value in zip(self.settings.fields, values, strict=True)
            )
            return self._nearby(facts, ("same", values), f"same {described}")
        match = self.index.add((), facts.text, facts.signature, facts.opened_at)
        return self._nearby(
            facts,
            ("similar", match.cluster),
            f"similar title (≥ {self.settings.threshold:.2f})",
        )

    def _references(self, facts: TicketFacts) -> list[AnyProposal]:
        proposals: list[AnyProposal] = []
        for mention in facts.mentions:
            for system, target in self.catalog.mentions.get(mention, ()):
                if target == facts.record_id or self._linked(facts, target):
                    continue
                why = f"its text mentions {mention} ({system})"
                proposals.append(self.link(facts, target, mention, self.settings.link_kind, why))
        return proposals

    def _nearby(self, facts: TicketFacts, key: Hashable, why: str) -> list[AnyProposal]:
        """Link to the earliest ticket with the same key opened within the window before
        this one, if any. A ticket seen again (its facts changed) finds the same one."""
        self._expire(facts.opened_at)
        recent = self.recent.setdefault(key, deque())
        horizon = facts.opened_at - self.settings.window
        earlier = next(
            (
                other
                for other in recent
                if horizon <= other.opened_at <= facts.opened_at
                and other.record_id != facts.record_id
                and not (self.settings.across_systems and other.origin == facts.origin)
            ),
            None,
        )
        if all(other.record_id != facts.record_id for other in recent):
            recent.append(facts)
            self.expiry.append((facts.opened_at, key))
        if earlier is None or self._linked(facts, earlier.record_id):
            return []
        window = format_duration(self.settings.window)
        why = f"{why} within {window} of {earlier.name}"
        return [self.link(facts, earlier.record_id, earlier.name, self.settings.link_kind, why)]

    def _expire(self, now: datetime) -> None:
        horizon = now - self.settings.window
        while self.expiry and self.expiry[0][0] < horizon:
            _, key = self.expiry.popleft()
            recent = self.recent.get(key)
            while recent and recent[0].opened_at < horizon:
                recent.popleft()
            if not recent:
                self.recent.pop(key, None)

    def _linked(self, facts: TicketFacts, target: str) -> bool:
        if target in facts.related_ids or target in facts.problem_ids:
            return True
        return not self.catalog.relate(facts.record_id, target)
