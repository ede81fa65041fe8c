"""Registers the built-in rule types."""

from __future__ import annotations

from collections.abc import Callable

from ..hookspecs import hookimpl
from ..rules.base import RuleType
from ..rules.builtin import BUILTIN_RULE_TYPES
from ..rules.subject import SameSubjectRule


@hookimpl
def register_rule_types(register: Callable[[type[RuleType]], None]) -> None:
    for rule_type in (*BUILTIN_RULE_TYPES, SameSubjectRule):
        register(rule_type)
