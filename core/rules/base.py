"""What a rule type is: a name, a settings model, and (from the rules engine on) behaviour."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


class RuleSettings(BaseModel):
    """Settings every ``[rules.<name>]`` table has; each rule type subclasses it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: str = Field(description="the rule type, e.g. 'recurrence'")
    enabled: bool = True
    description: str = ""

    def referenced_connectors(self) -> dict[str, str]:
        """Setting key → connector name, for every connector this rule names."""
        return {}


class RuleType:
    """A kind of rule. Plugins add kinds through the ``register_rule_types`` hook."""

    type: ClassVar[str]
    settings_model: ClassVar[type[RuleSettings]] = RuleSettings
    description: ClassVar[str] = ""
