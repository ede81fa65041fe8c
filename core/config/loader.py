"""Reads ``config.toml`` and validates all of it, collecting every mistake before failing."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..connector import ConnectorSettings
from ..errors import ConfigError, SecretNotFound
from ..plugins import Plugins
from ..rules.base import RuleSettings
from ..secrets import SecretRef
from .issues import ConfigInvalid, ConfigIssue, issues_from_validation, key_path
from .models import Config, RawConfig
from .secret_schemes import BUILTIN_SCHEMES, secret_backends, unhandled_scheme
from .urls import vendor_url_issues

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every way it can fail into one clear ConfigError."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist",
            fix="create one with `itsmhub init`, or pass the right path",
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a config file") from None
    except PermissionError:
        raise ConfigError(
            f"cannot read {path}: permission denied",
            fix="let the user running itsmhub read the file",
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", fix="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}",
            fix="correct the syntax at that line (strings need double quotes)",
        ) from None


def load_config(path: Path | str, plugins: Plugins, *, resolve_secrets: bool = True) -> Config:
    """Load and validate a config file; raise ConfigInvalid listing every mistake."""
    path = Path(path)
    config, issues = validate_config(read_toml(path), plugins, config_dir=path.parent.resolve())
    if config is not None and resolve_secrets:
        issues += secret_issues(config, plugins)
    if issues or config is None:
        raise ConfigInvalid(str(path), issues)
    config.path = path
    return config


def validate_config(
    data: dict[str, Any], plugins: Plugins, *, config_dir: Path
) -> tuple[Config | None, list[ConfigIssue]]:
    """Validate parsed TOML; return the config (if usable) and every issue found."""
    try:
        raw = RawConfig.model_validate(data, context={"config_dir": config_dir})
    except ValidationError as exc:
        issues = issues_from_validation(exc, model=RawConfig)
        # Keep going with the parts that are fine, so later sections are checked too.
        raw = RawConfig.model_construct(**_valid_sections(data, config_dir))
        if not isinstance(raw.connectors, dict) or not isinstance(raw.rules, dict):
            return None, issues
    else:
        issues = []
    context = {"config_dir": config_dir, "allow_private_networks": raw.http.allow_private_networks}
    connectors = {}
    for name, table in raw.connectors.items():
        settings, found = _connector(name, table, plugins, context)
        issues += found
        if settings is not None:
            connectors[name] = settings
    rules = {}
    for name, table in raw.rules.items():
        rule, found = _rule(name, table, plugins, context)
        issues += found
        if rule is not None:
            rules[name] = rule
    issues += _references(raw, rules, set(raw.connectors))
    if issues:
        return None, issues
    config = Config(
        store=raw.store,
        http=raw.http,
        sync=raw.sync,
        daemon=raw.daemon,
        connectors=connectors,
        rules=rules,
    )
    return config, []


def _valid_sections(data: dict[str, Any], config_dir: Path) -> dict[str, Any]:
    """Each top-level section that validates on its own, the default for the others."""
    context = {"config_dir": config_dir}
    good = dict(RawConfig.model_validate({}, context=context))
    for name in RawConfig.model_fields:
        if name in data:
            try:
                partial = RawConfig.model_validate({name: data[name]}, context=context)
            except ValidationError:
                continue
            good[name] = getattr(partial, name)
    return good


def _connector(
    name: str, table: dict[str, Any], plugins: Plugins, context: dict[str, Any]
) -> tuple[ConnectorSettings | None, list[ConfigIssue]]:
    where = ["connectors", name]
    if not _NAME.match(name):
        return None, [_bad_name(where)]
    kind = table.get("type")
    if not isinstance(kind, str):
        return None, [
            ConfigIssue(
                key_path([*where, "type"]),
                "required key is missing" if kind is None else "must be a string",
                f"add type = one of {_quoted(plugins.registry.connectors.names())}",
            )
        ]
    connectors = plugins.registry.connectors
    if kind in connectors.conflicts:
        conflict = connectors.conflicts[kind]
        return None, [ConfigIssue(key_path([*where, "type"]), conflict.message(), None)]
    cls = connectors.get(kind)
    if cls is None:
        return None, [_unknown(where, "connector type", kind, connectors.names(), plugins)]
    try:
        settings = cls.settings_model.model_validate(table, context=context)
    except ValidationError as exc:
        return None, issues_from_validation(exc, prefix=where, model=cls.settings_model)
    allow_private = bool(context["allow_private_networks"])
    return settings, vendor_url_issues(settings, where, allow_private=allow_private)


def _rule(
    name: str, table: dict[str, Any], plugins: Plugins, context: dict[str, Any]
) -> tuple[RuleSettings | None, list[ConfigIssue]]:
    where = ["rules", name]
    if not _NAME.match(name):
        return None, [_bad_name(where)]
    kind = table.get("type")
    rule_types = plugins.registry.rule_types
    if not isinstance(kind, str):
        return None, [
            ConfigIssue(
                key_path([*where, "type"]),
                "required key is missing" if kind is None else "must be a string",
                f"add type = one of {_quoted(rule_types.names())}",
            )
        ]
    if kind in rule_types.conflicts:
        return None, [ConfigIssue(key_path([*where, "type"]), rule_types.conflicts[kind].message())]
    rule_type = rule_types.get(kind)
    if rule_type is None:
        return None, [_unknown(where, "rule type", kind, rule_types.names(), plugins)]
    try:
        return rule_type.settings_model.model_validate(table, context=context), []
    except ValidationError as exc:
        return None, issues_from_validation(exc, prefix=where, model=rule_type.settings_model)


def _references(
    raw: RawConfig, rules: dict[str, RuleSettings], connectors: set[str]
) -> list[ConfigIssue]:
    """Names of connectors used elsewhere must be configured connectors."""
    issues = []
    named: list[tuple[list[str | int], str]] = [
        (["rules", rule_name, key], target)
        for rule_name, rule in rules.items()
        for key, target in rule.referenced_connectors().items()
    ]
    named += [(["sync", "field_owners", f], c) for f, c in raw.sync.field_owners.items()]
    named += [(["sync", "system_rank", i], c) for i, c in enumerate(raw.sync.system_rank)]
    named += [(["daemon", "schedules", c], c) for c in raw.daemon.schedules]
    for where, target in named:
        if target not in connectors:
            close = difflib.get_close_matches(target, sorted(connectors), n=1)
            fix = (
                f"did you mean {close[0]!r}?"
                if close
                else (
                    f"use one of {_quoted(sorted(connectors))}"
                    if connectors
                    else "add a [connectors.<name>] table first"
                )
            )
            issues.append(
                ConfigIssue(key_path(where), "no connector has this name", fix, repr(target))
            )
    return issues


def secret_issues(config: Config, plugins: Plugins) -> list[ConfigIssue]:
    """Resolve every secret reference once, reporting each that resolves to nothing
    (and each whose scheme nothing installed can answer, see :func:`scheme_issues`)."""
    issues = []
    backends = secret_backends(plugins)
    for path, ref in _enabled_secret_refs(config):
        if problem := unhandled_scheme(ref, plugins):
            issues.append(ConfigIssue(key_path(path), *problem, value=repr(str(ref))))
            continue
        try:
            plugins.resolve_secret(ref)
        except SecretNotFound as exc:
            fix = exc.fix
            if ref.scheme not in BUILTIN_SCHEMES:  # no variable or file will help here
                fix = f"check that {ref} exists where {', '.join(backends)} looks"
            issues.append(ConfigIssue(key_path(path), exc.message, fix))
        except ConfigError as exc:
            issues.append(ConfigIssue(key_path(path), exc.message, exc.fix))
    return issues


def scheme_issues(config: Config, plugins: Plugins) -> list[ConfigIssue]:
    """Secret references whose scheme no installed backend answers: errors a config
    check reports without resolving anything (no secret value is read)."""
    return [
        ConfigIssue(key_path(path), *problem, value=repr(str(ref)))
        for path, ref in _enabled_secret_refs(config)
        if (problem := unhandled_scheme(ref, plugins))
    ]


def _enabled_secret_refs(config: Config) -> Iterator[tuple[list[str | int], SecretRef]]:
    for name, settings in config.connectors.items():
        if settings.enabled:
            yield from iter_secret_refs(settings, ["connectors", name])
    if config.daemon.reports and config.daemon.reports_token is not None:
        yield ["daemon", "reports_token"], config.daemon.reports_token


def iter_secret_refs(
    model: BaseModel, prefix: list[str | int]
) -> Iterator[tuple[list[str | int], SecretRef]]:
    """Every SecretRef inside a settings model, with its key path."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = field.alias or name
        if isinstance(value, SecretRef):
            yield [*prefix, key], value
        elif isinstance(value, BaseModel):
            yield from iter_secret_refs(value, [*prefix, key])


def _bad_name(where: list[str]) -> ConfigIssue:
    return ConfigIssue(
        key_path(where),
        "names must be lower case letters, digits, '-' or '_' (at most 63)",
        "rename the table, e.g. [connectors.jira-prod]",
    )


def _unknown(
    where: list[str], what: str, kind: str, known: list[str], plugins: Plugins
) -> ConfigIssue:
    close = difflib.get_close_matches(kind, known, n=1)
    fix = f"did you mean {close[0]!r}?" if close else f"use one of {_quoted(known)}"
    broken = [b.name for b in plugins.broken]
    if broken:
        fix += f"; these plugins failed to load (see `itsmhub plugins`): {', '.join(broken)}"
    return ConfigIssue(key_path([*where, "type"]), f"unknown {what}", fix, repr(kind))


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names) or "(none installed)"
