"""Small builders for rules tests: a config holding some rules, and ticket facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from fakes.world import plugins_with_fake
from itsmhub import ExternalRef, Incident, Link, LinkKind, Problem
from itsmhub.config import Config, validate_config
from itsmhub.rules.facts import TicketFacts, facts_of
from itsmhub.rules.session import RuleSession

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SYSTEMS = ("zendesk", "jira", "itsm")
_ids = count(1)


def config_with(rules: dict[str, Any], folder: Path | None = None) -> Config:
    folder = folder or Path("/nonexistent")
    data = {
        "store": {"url": "sqlite:///:memory:"},
        "connectors": {name: {"type": "fake", "remote": f"/tmp/{name}"} for name in SYSTEMS},
        "rules": rules,
    }
    config, issues = validate_config(data, plugins_with_fake(), config_dir=folder)
    assert config is not None, issues
    return config


def session_with(rules: dict[str, Any]) -> RuleSession:
    return RuleSession(config_with(rules))


def incident(
    title: str,
    *,
    at: timedelta = timedelta(0),
    system: str = "zendesk",
    problem: str | None = None,
    **fields: Any,
) -> TicketFacts:
    number = next(_ids)
    record = Incident(
        id=f"I{number:04d}",
        title=title,
        refs=[ExternalRef(system=system, remote_id=f"r{number}", key=f"K-{number}")],
        links=[Link(kind=LinkKind.CAUSED_BY, target_id=problem)] if problem else [],
        opened_at=T0 + at,
        **fields,
    )
    facts = facts_of(record, now=T0 + at)
    assert facts is not None
    return facts


def problem(title: str, *, at: timedelta = timedelta(0), **fields: Any) -> TicketFacts:
    number = next(_ids)
    record = Problem(
        id=f"P{number:04d}",
        title=title,
        refs=[ExternalRef(system="itsm", remote_id=f"p{number}", key=f"PRB{number:07d}")],
        created_at=T0 + at,
        **fields,
    )
    facts = facts_of(record, now=T0 + at)
    assert facts is not None
    return facts
