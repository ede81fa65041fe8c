"""Values as people read them in tables and lines: no Python reprs, ever.

A person is ``Beth Anglin <beth@example.com>``, a reference ``servicenow INC0010001``, a
list its items joined, nothing ``-``. ``--json`` output keeps the data as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PERSON_KEYS = frozenset({"display_name", "email", "external"})
_REF_KEYS = frozenset({"system", "remote_id", "key", "url", "remote_type"})


def human(value: Any) -> str:
    """One line for ``value`` (a JSON-shaped value, or a model dumped to JSON)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    if value is None or value == "" or value == [] or value == {}:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return _mapping(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(human(item) for item in value)
    return " ".join(str(value).split())  # newlines would break a table row


def _mapping(value: Mapping[str, Any]) -> str:
    keys = set(value)
    if keys and keys <= _PERSON_KEYS:
        return person(value)
    if {"system", "remote_id"} <= keys <= _REF_KEYS:
        return ref(value)
    return ", ".join(f"{name} {human(item)}" for name, item in value.items() if item is not None)


def person(value: Mapping[str, Any]) -> str:
    """``Name <email>``, ``email``, ``Name``, or the account in its system."""
    name, email = value.get("display_name"), value.get("email")
    if name and email:
        return f"{name} <{email}>"
    if name or email:
        return str(name or email)
    external = value.get("external")
    if isinstance(external, Mapping):
        return f"{ref(external)} (no name or e-mail known)"
    return "-"


def ref(value: Mapping[str, Any]) -> str:
    """``system KEY`` (or the remote id where the system shows no key)."""
    return f"{value.get('system')} {value.get('key') or value.get('remote_id')}"


def cut(text: str, width: int) -> str:
    """``text`` on one line, at most ``width`` characters."""
    return text if len(text) <= width else text[: width - 1] + "…"
