"""Whether each enabled connector can do what the config asks of it.

A connector class says what it really implements (:meth:`Connector.capabilities`) and
which record kinds it holds. A config that enables a connector which cannot pull, routes
records into one that cannot create them, or opens problems where problems cannot be
created would pass validation and then fail in its first cycle; ``config check`` reports
each such mismatch as an error at the key that asks for it.
"""

from __future__ import annotations

from ..connector import Connector
from ..model import RecordKind
from ..plugins import Plugins
from ..rules.base import RuleSettings
from ..rules.builtin import RoutingSettings
from .issues import ConfigIssue, key_path
from .models import Config

_CHECK = "set enabled = false for it until `itsmhub plugins` shows that it can"


def capability_issues(config: Config, plugins: Plugins) -> list[ConfigIssue]:
    """Every mismatch between what the config asks and what its connectors can do."""
    classes: dict[str, type[Connector]] = {}
    for name, settings in config.connectors.items():
        cls = plugins.registry.connectors.get(settings.type)
        if settings.enabled and cls is not None:
            classes[name] = cls
    issues = [
        issue for name, cls in sorted(classes.items()) if (issue := _pulls(name, cls, plugins))
    ]
    for rule_name, rule in sorted(config.rules.items()):
        if rule.enabled:
            issues += _rule_issues(["rules", rule_name], rule, classes)
            if isinstance(rule, RoutingSettings):
                issues += _target_issues(["rules", rule_name, "target"], rule, classes, config)
    return issues


def _target_issues(
    where: list[str | int],
    rule: RoutingSettings,
    classes: dict[str, type[Connector]],
    config: Config,
) -> list[ConfigIssue]:
    """A routing rule's ``target.<connector>`` options, as that connector reads them."""
    issues = []
    for name, options in sorted(rule.target.items()):
        cls = classes.get(name)
        if cls is None:
            continue
        try:
            cls.check_route_options(config.connectors[name], options)
        except ValueError as exc:  # pydantic's ValidationError is one
            shown = cls.route_options.model_fields if cls.route_options is not None else {}
            issues.append(
                ConfigIssue(
                    key_path([*where, name]),
                    _first_line(exc),
                    f"{cls.kind} target options are: {', '.join(shown)}"
                    if shown
                    else f"remove target.{name}: the {cls.kind} connector decides where copies go",
                )
            )
    return issues


def _first_line(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic: the first error, with where it is
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(exc)


def _can(cls: type[Connector]) -> str:
    return ", ".join(cls.capabilities()) or "nothing yet"


def _pulls(name: str, cls: type[Connector], plugins: Plugins) -> ConfigIssue | None:
    """A connector that neither pulls nor enriches does nothing in a cycle but fail."""
    enriches = any(
        getattr(plugins.registry.enrichers.get(e), "connector_kind", None) == cls.kind
        for e in plugins.registry.enrichers.names()
    )
    if "pull" in cls.capabilities() or enriches:
        return None
    return ConfigIssue(
        key_path(["connectors", name, "type"]),
        f"the {cls.kind} connector cannot pull changes yet (it can: {_can(cls)})",
        f"{_CHECK} pull",
        repr(cls.kind),
    )


def _rule_issues(
    where: list[str | int], rule: RuleSettings, classes: dict[str, type[Connector]]
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    if isinstance(rule, RoutingSettings):
        for i, target in enumerate(rule.to):
            cls = classes.get(target)
            if cls is None:
                continue  # disabled (or unknown, reported elsewhere): nothing is sent there
            missing = [k.value for k in rule.kinds if k not in cls.record_kinds]
            if missing:
                issues.append(
                    ConfigIssue(
                        key_path([*where, "kinds"]),
                        f"{target} ({cls.kind}) holds no {' or '.join(missing)} records",
                        f"route only kinds it holds: {_kinds(cls)}",
                    )
                )
            if not cls.can("create"):
                issues.append(_cannot([*where, "to", i], target, cls, "create records yet"))
        source = classes.get(rule.source)
        if rule.both_ways and source is not None and not source.can("update"):
            issues.append(
                _cannot(
                    [*where, "both_ways"],
                    rule.source,
                    source,
                    "update records yet, so changes to the copies cannot come back",
                    fix="set both_ways = false",
                    value="true",
                )
            )
    create_in = getattr(rule, "create_in", None)
    cls = classes.get(create_in) if isinstance(create_in, str) else None
    if cls is not None and isinstance(create_in, str):
        if RecordKind.PROBLEM not in cls.record_kinds:
            issues.append(
                ConfigIssue(
                    key_path([*where, "create_in"]),
                    f"{create_in} ({cls.kind}) holds no problems, and this rule opens one",
                    f"open problems in a connector that holds them ({_kinds(cls)} here)",
                    repr(create_in),
                )
            )
        elif not cls.can("create"):
            issues.append(_cannot([*where, "create_in"], create_in, cls, "create problems yet"))
    return issues


def _cannot(
    where: list[str | int],
    name: str,
    cls: type[Connector],
    what: str,
    *,
    fix: str | None = None,
    value: str | None = None,
) -> ConfigIssue:
    return ConfigIssue(
        key_path(where),
        f"{name} ({cls.kind}) cannot {what} (it can: {_can(cls)})",
        fix or f"use another connector, or wait for a release in which {cls.kind} can",
        value or repr(name),
    )


def _kinds(cls: type[Connector]) -> str:
    return ", ".join(sorted(k.value for k in cls.record_kinds)) or "none"
