"""Config mistakes as an admin reads them: the key path, the bad value, and the fix."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import ConfigError
from .settings_models import models_in, tag_of

# A value under one of these keys is never echoed: it may be a pasted secret.
_SECRET_KEY = re.compile(r"(token|password|secret|credential|private_key|api_key)", re.I)
_MAX_VALUE = 80


@dataclass(frozen=True)
class ConfigIssue:
    """One mistake in a config file."""

    path: str
    message: str
    fix: str | None = None
    value: str | None = None  # repr of the bad value, already shortened and redacted

    def render(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.value is not None:
            text += f" (got {self.value})"
        return text

    def as_dict(self) -> dict[str, str | None]:
        return {"path": self.path, "message": self.message, "value": self.value, "fix": self.fix}


class ConfigInvalid(ConfigError):
    """The config has mistakes; ``issues`` lists every one of them."""

    def __init__(self, source: str, issues: Sequence[ConfigIssue]) -> None:
        count = len(issues)
        super().__init__(f"{source}: {count} error{'s' if count != 1 else ''} in the config")
        self.source = source
        self.issues = list(issues)


def key_path(parts: Iterable[str | int]) -> str:
    """Join a location into a TOML-style key path: ``connectors.jira.projects[0]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue  # pydantic's marker for "the key itself was wrong"
        else:
            out += f".{part}" if out else str(part)
    return out


def show_value(path: str, value: Any) -> str | None:
    """A short, safe rendering of a bad value, or None when it must stay hidden."""
    if _SECRET_KEY.search(path.rsplit(".", 1)[-1]):
        return None
    if isinstance(value, dict | list):
        return None  # whole tables are not useful to repeat
    text = repr(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def issues_from_validation(
    error: ValidationError,
    *,
    prefix: Sequence[str | int] = (),
    model: type[BaseModel] | None = None,
) -> list[ConfigIssue]:
    """Turn every pydantic error into a ConfigIssue under ``prefix``."""
    return [_issue(detail, prefix, model) for detail in error.errors(include_url=False)]


def _issue(
    detail: ErrorDetails, prefix: Sequence[str | int], model: type[BaseModel] | None
) -> ConfigIssue:
    # Validators wrapped around a type add "function-…" parts to the location, and a
    # tagged union adds its tag: neither is a key the admin wrote.
    loc = [p for p in detail["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    loc = _without_union_tags(model, loc)
    path = key_path([*prefix, *loc])
    kind = detail["type"]
    message = detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = None if kind in {"missing", "extra_forbidden"} else show_value(path, detail["input"])
    if kind == "missing":
        return ConfigIssue(path, "required key is missing", f"add {_last(path)} = … here")
    if kind == "extra_forbidden":
        return ConfigIssue(path, "unknown key", _extra_fix(path, loc, model), None)
    return ConfigIssue(path, message, _FIXES.get(kind), value)


def _without_union_tags(model: type[BaseModel] | None, loc: list[Any]) -> list[Any]:
    """Drop the tag pydantic inserts after a field holding a union of models."""
    out: list[Any] = []
    current: list[type[BaseModel]] = [model] if model else []
    parts = iter(loc)
    for part in parts:
        out.append(part)
        fields = [m.model_fields.get(part) for m in current if isinstance(part, str)]
        found = next((f for f in fields if f is not None), None)
        current = models_in(found.annotation) if found is not None else []
        if len(current) > 1:
            tag = next(parts, None)
            if tag is None:
                break
            if any(tag in m.model_fields for m in current):
                out.append(tag)  # no tag after all: the error is about the union's key
            else:
                current = [m for m in current if (pair := tag_of(m)) and pair[1] == tag] or current
    return out


def _last(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _extra_fix(path: str, loc: list[Any], model: type[BaseModel] | None) -> str:
    allowed = _allowed_keys(model, [p for p in loc[:-1] if isinstance(p, str)])
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    if close:
        return f"did you mean {close[0]!r}? (or remove the key)"
    if allowed:
        return "remove it; allowed keys here: " + ", ".join(allowed)
    return "remove it, or check its spelling"


def _allowed_keys(model: type[BaseModel] | None, parts: list[str]) -> list[str]:
    """The field names of the (nested) model at ``parts``, as written in TOML."""
    for part in parts:
        if model is None:
            return []
        field = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None
        )
        model = _model_in(field.annotation) if field else None
    if model is None:
        return []
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _model_in(annotation: Any) -> type[BaseModel] | None:
    models = models_in(annotation)
    return models[0] if len(models) == 1 else None


_FIXES: dict[str, str] = {
    "url_parsing": "write a full URL, e.g. https://example.atlassian.net",
    "url_scheme": "use an https:// URL",
    "int_parsing": "write a whole number without quotes",
    "int_type": "write a whole number without quotes",
    "float_parsing": "write a number without quotes",
    "bool_parsing": "write true or false, without quotes",
    "bool_type": "write true or false, without quotes",
    "string_type": "write the value in double quotes",
    "list_type": 'write a list in brackets, e.g. ["a", "b"]',
    "dict_type": "write a table: [section] or { key = value }",
    "model_type": "write a table: [section] or { key = value }",
    "enum": "use one of the listed values",
    "literal_error": "use one of the listed values",
    "union_tag_invalid": "use one of the listed values",
    "union_tag_not_found": "add the missing discriminator key",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "too_short": "add at least one entry",
    "string_too_short": "give a non-empty value",
    "string_pattern_mismatch": "use the format described in docs/configuration.md",
}
