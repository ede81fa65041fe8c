"""Rules: routing, linking, recurrence and known-error feedback, written as TOML data."""

from .base import RuleSettings, RuleType
from .conditions import Conditions, Test

__all__ = ["Conditions", "RuleSettings", "RuleType", "Test"]
