"""Collects what the ``register_*`` hooks hand over, credited to the plugin that gave it.

Names must be unique: when two plugins register the same connector kind, emulator kind,
enricher name or rule type, neither is used, and both are named in the conflict so the
admin can remove one (or choose with ``ITSMHUB_LOAD_PLUGINS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .connector import Connector
from .extensions import Emulator, Enricher
from .rules.base import RuleType

T = TypeVar("T")


@dataclass(frozen=True)
class Registration(Generic[T]):
    """One registered object and the plugin it came from."""

    name: str
    obj: T
    plugin: str


@dataclass(frozen=True)
class Conflict:
    """Two or more plugins registered the same name in one category."""

    category: str
    name: str
    plugins: tuple[str, ...]

    def message(self) -> str:
        who = " and ".join(self.plugins)
        return (
            f"{self.category} {self.name!r} is registered by {who}; none of them is used "
            f"until one is uninstalled or left out with ITSMHUB_LOAD_PLUGINS"
        )


@dataclass
class Table(Generic[T]):
    """Registrations of one category, keyed by name."""

    category: str
    entries: dict[str, Registration[T]] = field(default_factory=dict)
    conflicts: dict[str, Conflict] = field(default_factory=dict)

    def add(self, name: str, obj: T, plugin: str) -> None:
        if name in self.conflicts:
            previous = self.conflicts[name]
            self.conflicts[name] = Conflict(self.category, name, (*previous.plugins, plugin))
            return
        if name in self.entries:
            first = self.entries.pop(name)
            self.conflicts[name] = Conflict(self.category, name, (first.plugin, plugin))
            return
        self.entries[name] = Registration(name, obj, plugin)

    def get(self, name: str) -> T | None:
        entry = self.entries.get(name)
        return entry.obj if entry else None

    def names(self) -> list[str]:
        return sorted(self.entries)

    def by_plugin(self, plugin: str) -> list[str]:
        return sorted(
            name for name, entry in self.entries.items() if entry.plugin == plugin
        ) + sorted(name for name, c in self.conflicts.items() if plugin in c.plugins)


def _checked(expected: type, attribute: str) -> Callable[[Any], str]:
    """Return a function that validates a registered class and gives its name."""

    def name_of(obj: Any) -> str:
        if not (isinstance(obj, type) and issubclass(obj, expected)):
            raise TypeError(f"expected a subclass of {expected.__name__}, got {obj!r}")
        name = getattr(obj, attribute, None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{obj.__name__} must declare a non-empty {attribute!r}")
        return name

    return name_of


@dataclass
class Registry:
    """Everything the installed plugins provide."""

    connectors: Table[type[Connector]] = field(default_factory=lambda: Table("connector kind"))
    emulators: Table[type[Emulator]] = field(default_factory=lambda: Table("emulator kind"))
    enrichers: Table[type[Enricher]] = field(default_factory=lambda: Table("enricher"))
    rule_types: Table[type[RuleType]] = field(default_factory=lambda: Table("rule type"))

    def tables(self) -> dict[str, tuple[Table[Any], Callable[[Any], str]]]:
        """Hook name → the table it fills and how a registered class is named."""
        return {
            "register_connectors": (self.connectors, _checked(Connector, "kind")),
            "register_emulators": (self.emulators, _checked(Emulator, "kind")),
            "register_enrichers": (self.enrichers, _checked(Enricher, "name")),
            "register_rule_types": (self.rule_types, _checked(RuleType, "type")),
        }

    def conflicts(self) -> list[Conflict]:
        return [
            conflict for table, _ in self.tables().values() for conflict in table.conflicts.values()
        ]
