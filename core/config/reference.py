"""Writes ``docs/configuration.md`` from the settings models, so the reference never drifts.

python -m itsmhub.config.reference > docs/configuration.md
"""

from __future__ import annotations

import json
import sys
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, RootModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ..plugins import Plugins, load_plugins
from ..secrets import SecretRef
from .daemon import DaemonSettings, ScheduleSettings
from .meanings import meaning
from .models import NetworkSettings, StoreSettings, SyncSettings
from .settings_models import models_in, tag_of

_INTRO = """# Configuration reference

`config.toml` is read with Python's `tomllib` and validated in full: `itsmhub config check`
lists every mistake at once, with its key path, the bad value and the fix. Unknown keys
are refused everywhere. Secrets are references (`env:NAME`, `file:PATH`,
`credential:NAME`, or a scheme a plugin adds), never the secret itself. Durations are
written `90s`, `15m`, `4h`, `7d` or `2w`. `config.example.toml` is a complete example.

This page is generated from the settings models: `python -m itsmhub.config.reference >
docs/configuration.md` (a test fails when it is out of date). The *example* column is the
value `config.example.toml` (the demo's configuration) gives the key, where it sets one.
"""

#: The example configuration of a source checkout (the reference is generated there).
EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def render(plugins: Plugins) -> str:
    """The whole reference as Markdown."""
    example = tomllib.loads(EXAMPLE.read_text()) if EXAMPLE.exists() else {}
    parts = [_INTRO]
    parts.append(_section("[store]", StoreSettings, example=example.get("store")))
    parts.append(_section("[http]", NetworkSettings, example=example.get("http")))
    parts.append(_section("[sync]", SyncSettings, example=example.get("sync")))
    parts.append(_section("[daemon]", DaemonSettings, example=example.get("daemon")))
    parts.append(_section("[daemon.schedules.<connector>]", ScheduleSettings, level=3))
    parts.append(
        "## Connectors\n\nOne `[connectors.<name>]` table per system; `type` picks "
        "the connector kind.\n"
    )
    for kind in plugins.registry.connectors.names():
        cls = plugins.registry.connectors.get(kind)
        assert cls is not None
        title = f'`type = "{kind}"`' + (f": {cls.title}" if cls.title else "")
        table = _first_of_type(example.get("connectors"), kind)
        parts.append(_section(title, cls.settings_model, level=3, example=table))
    parts.append(
        "## Rules\n\nOne `[rules.<name>]` table per rule; `type` picks the rule "
        "type. A `when` table holds conditions: `field = value`, `field = [a, b]`, "
        "or a table with `eq`, `ne`, `in`, `not_in`, `contains`, `matches`, `gt`, "
        "`gte`, `lt`, `lte`, `within` or `exists`.\n"
    )
    for name in plugins.registry.rule_types.names():
        rule_type = plugins.registry.rule_types.get(name)
        assert rule_type is not None
        title = f'`type = "{name}"`' + (
            f": {rule_type.description}" if rule_type.description else ""
        )
        table = _first_of_type(example.get("rules"), name)
        parts.append(
            _section(title, rule_type.settings_model, level=3, rule_type=name, example=table)
        )
    return "\n".join(parts)


def _section(
    title: str,
    model: type[BaseModel],
    *,
    level: int = 2,
    rule_type: str | None = None,
    example: Mapping[str, Any] | None = None,
) -> str:
    lines = [f"{'#' * level} {title}", ""]
    doc = (model.__doc__ or "").strip().splitlines()
    if doc and not doc[0].startswith(("Settings every", "A config")):
        lines += [doc[0], ""]
    lines += [
        "| key | type | default | example | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, field in _fields(model, ""):
        text = field.description or (meaning(rule_type, key) if rule_type else "")
        lines.append(
            f"| `{key}` | {_type(field.annotation)} | {_default(field)} | "
            f"{_example(example, key)} | {' '.join(text.split()).replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"


def _first_of_type(tables: Any, kind: str) -> Mapping[str, Any] | None:
    """The first table of the example's ``[connectors]`` or ``[rules]`` of this type."""
    if not isinstance(tables, Mapping):
        return None
    return next(
        (t for t in tables.values() if isinstance(t, Mapping) and t.get("type") == kind), None
    )


def _example(table: Mapping[str, Any] | None, key: str) -> str:
    """The value the example configuration gives ``key`` (a dotted path), as TOML."""
    value: Any = table
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ""
        value = value[part]
    if isinstance(value, Mapping):
        return ""  # a table: its keys have rows of their own
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > 40:
        return "see `config.example.toml`"
    return f"`{text}`".replace("|", "/")


def _fields(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, FieldInfo]]:
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        # A RootModel (a `when` table) holds keys of the admin's choosing: one value.
        members = [m for m in models_in(field.annotation) if not issubclass(m, RootModel)]
        if len(members) == 1:
            yield from _fields(members[0], f"{key}.")
            continue
        yield key, field
        tags = [t for t in map(tag_of, members) if t is not None]
        if tags:  # a tagged union: its tag key, then each alternative's keys, labelled
            values = " or ".join(json.dumps(value) for _, value in tags)
            choices = typing.Literal[tuple(value for _, value in tags)]  # type: ignore[valid-type]
            picks = FieldInfo(
                annotation=choices, description=f"which kind of {key} table: {values}"
            )
            yield f"{key}.{tags[0][0]}", picks
        for member in members:
            tag = tag_of(member)
            for sub_key, sub in _fields(member, f"{key}.") if tag else ():
                if not sub_key.endswith(f".{tag[0]}"):
                    label = f"(with {tag[0]} = {json.dumps(tag[1])}) {sub.description or ''}"
                    yield sub_key, FieldInfo.merge_field_infos(sub, description=label)


def _type(annotation: Any) -> str:
    text = _type_name(annotation)
    return text.replace("|", "or")


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " or ".join(json.dumps(a) for a in args)
    if origin in {typing.Union, types.UnionType}:
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + (
            " (optional)" if type(None) in args else ""
        )
    if origin in {list, tuple, frozenset, set}:
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"table of {_type_name(args[1])}" if args else "table"
    if annotation is SecretRef:
        return "secret reference"
    if isinstance(annotation, type) and issubclass(annotation, RootModel):
        return "table of conditions" if annotation.__name__ == "Conditions" else "table"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        tag = tag_of(annotation)
        return f"table ({tag[0]} = {json.dumps(tag[1])})" if tag else "table"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " / ".join(f"`{m.value}`" for m in annotation)
    name = getattr(annotation, "__name__", str(annotation))
    return {
        "str": "string",
        "int": "integer",
        "float": "number",
        "bool": "boolean",
        "timedelta": "duration",
        "SecretRef": "secret reference",
        "HttpUrl": "URL",
    }.get(name, name)


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, RootModel):
        value = value.root
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, Enum):
        value = value.value
    try:
        from ..durations import format_duration

        if hasattr(value, "total_seconds"):
            return f"`{format_duration(value)}`"
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = str(value)
    if len(text) > 60:
        return "see `config.example.toml`"
    return f"`{text}`"


if __name__ == "__main__":
    # Only the in-tree plugins: the reference documents what itsmhub ships.
    in_tree = {"ITSMHUB_LOAD_PLUGINS": "jira,servicenow,zendesk,okta"}
    sys.stdout.write(render(load_plugins(environ=in_tree)))
