"""Routing: which systems receive a copy of a record, and which changes flow back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import JsonValue

from ..config import Config
from ..model import AnyRecordType
from ..rules.builtin import RoutingSettings
from ..rules.matcher import matches


@dataclass(frozen=True)
class Route:
    """Copy a record into ``target``, placed as ``options`` say (project, issue type…)."""

    rule: str
    target: str
    options: dict[str, JsonValue]


class Router:
    """The routing rules of one config, asked per record."""

    def __init__(self, config: Config) -> None:
        self._rules = {
            name: rule
            for name, rule in config.rules.items()
            if isinstance(rule, RoutingSettings) and rule.enabled
        }
        enabled = {n for n, c in config.connectors.items() if c.enabled}
        self._enabled = enabled
        self._considered: dict[tuple[str, str], list[str]] = {}

    def routes_for(self, record: AnyRecordType, source: str, now: datetime) -> list[Route]:
        """Where a record first seen in ``source`` must be copied (first rule per target)."""
        routes: dict[str, Route] = {}
        for name, rule in sorted(self._rules.items()):
            if rule.source != source or record.kind not in rule.kinds:
                continue
            if not matches(rule.when, record, now):
                continue
            for target in rule.to:
                if target in self._enabled and target not in routes:
                    routes[target] = Route(name, target, dict(rule.target.get(target, {})))
        return sorted(routes.values(), key=lambda r: r.target)

    def rules_from(self, source: str, kind: str) -> list[str]:
        """Names of the routing rules that consider records of ``kind`` from ``source``."""
        key = (source, kind)
        if key not in self._considered:  # asked once per record created: remembered
            self._considered[key] = sorted(
                name
                for name, rule in self._rules.items()
                if rule.source == source and kind in rule.kinds
            )
        return list(self._considered[key])

    def flows(self, source: str, target: str) -> bool:
        """Whether changes pulled from ``source`` are written to ``target``.

        Both ways, unless the only rules joining the two are one-way into ``source``.
        """
        if target not in self._enabled:
            return False
        rules = self._rules.values()
        forward = [r for r in rules if r.source == source and target in r.to]
        backward = [r for r in rules if r.source == target and source in r.to]
        if forward or not backward:
            return True
        return any(rule.both_ways for rule in backward)
