"""Fixtures for the in-tree plugins' tests (``anyio_backend`` comes from tests/conftest.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails

from itsmhub import ConnectorContext

try:
    from itsmhub.http import HttpSettings
except ImportError:  # itsmhub.http is being written alongside the plugins
    HttpSettings = None

Data = dict[str, Any]
Merge = Callable[..., Data]
Validate = Callable[[type[BaseModel], Data], Any]
Errors = Callable[[type[BaseModel], Data], list[ErrorDetails]]


def _merged(base: Data, patch: Data | None = None, drop: Iterable[tuple[str, ...]] = ()) -> Data:
    """A deep copy of ``base`` without the ``drop`` key paths, then with ``patch`` merged in."""
    out = copy.deepcopy(base)
    for path in drop:
        table = out
        for key in path[:-1]:
            table = table[key]
        del table[path[-1]]

    def merge(into: Data, changes: Data) -> None:
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = copy.deepcopy(value)

    merge(out, patch or {})
    return out


@pytest.fixture
def merged() -> Merge:
    return _merged


@pytest.fixture
def validate(tmp_path: Path) -> Validate:
    """Validate settings as the config loader does (relative ``file:`` paths need config_dir)."""
    return lambda model, data: model.model_validate(data, context={"config_dir": tmp_path})


@pytest.fixture
def errors(tmp_path: Path) -> Errors:
    """The errors of settings that must not validate."""

    def run(model: type[BaseModel], data: Data) -> list[ErrorDetails]:
        with pytest.raises(ValidationError) as info:
            model.model_validate(data, context={"config_dir": tmp_path})
        return info.value.errors()

    return run


@pytest.fixture
def context() -> ConnectorContext:
    http: Any = HttpSettings() if HttpSettings is not None else object()
    return ConnectorContext(http=http, resolve_secret=lambda ref: SecretStr("x"))
