"""Looking inside settings models: the tables a field holds, and a union member's tag.

Shared by the error reporter (to name keys) and the configuration reference.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from ..secrets import SecretRef


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The settings models (TOML tables) a field holds; SecretRef is a value, not a table."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [] if annotation is SecretRef else [annotation]
    if typing.get_origin(annotation) in {typing.Union, types.UnionType, typing.Annotated}:
        return [m for arg in typing.get_args(annotation) for m in models_in(arg)]
    return []


def tag_of(model: type[BaseModel]) -> tuple[str, Any] | None:
    """The key and value that pick ``model`` in a tagged union (a one-value Literal field)."""
    for name, field in model.model_fields.items():
        args = typing.get_args(field.annotation)
        if typing.get_origin(field.annotation) is typing.Literal and len(args) == 1:
            return name, args[0]
    return None
