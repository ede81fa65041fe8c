"""Helpers for plugin settings models: readable format errors, complete value maps, and
errors placed at the key an admin has to change. Public: plugins use them through
``itsmhub``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

ErrorLoc = tuple[str | int, ...]
T = TypeVar("T")


@dataclass(frozen=True)
class Matches:
    """``Annotated[str, Matches(regex, expected)]``: a string in a given format.

    Unlike ``Field(pattern=...)`` the error says what was expected in words
    ("expected a project key such as OPS"), not the regular expression.
    """

    regex: str
    expected: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        compiled = re.compile(self.regex)

        def check(value: str) -> str:
            if compiled.fullmatch(value) is None:
                raise PydanticCustomError(
                    "string_pattern_mismatch", "expected {expected}", {"expected": self.expected}
                )
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.regex
        return json_schema


def errors_at(kind: str, errors: Iterable[tuple[ErrorLoc, str, Any]]) -> ValidationError:
    """A ValidationError with one entry per ``(loc, message, value)``.

    Raised inside a validator, each ``loc`` is relative to what that validator checks,
    so a model validator can point at the one key to change instead of the whole table.
    """
    return ValidationError.from_exception_data(
        "settings",
        [
            InitErrorDetails(
                type=PydanticCustomError(kind, "{message}", {"message": message}),
                loc=loc,
                input=value,
            )
            for loc, message, value in errors
        ],
    )


def complete_map(enum: type[Enum], what: str, example: str) -> AfterValidator:
    """Require a value for every member of ``enum``; one error per missing member.

    ``what`` names the vendor value ("Jira status"), ``example`` the placeholder shown
    in the fix (``add on_hold = "<status name>"``).
    """

    def check(value: dict[Any, Any]) -> dict[Any, Any]:
        missing = [member.value for member in enum if member not in value]
        if missing:
            raise errors_at(
                "incomplete_mapping",
                (((), f"no {what} for {m!r}; add {m} = {example}", value) for m in missing),
            )
        return value

    return AfterValidator(check)


def distinct_map(what: str) -> AfterValidator:
    """Require that no two keys map to the same value (the map is also read backwards)."""

    def check(value: dict[Any, Any]) -> dict[Any, Any]:
        first: dict[Any, Any] = {}
        clashes = []
        for key, target in value.items():
            if target in first:
                clashes.append(
                    (
                        (),
                        f"{target!r} is used for both {first[target].value!r} and "
                        f"{key.value!r}; give each its own {what}",
                        value,
                    )
                )
            first.setdefault(target, key)
        if clashes:
            raise errors_at("ambiguous_mapping", clashes)
        return value

    return AfterValidator(check)


def validate_together(
    handler: Callable[[Any], T], data: Any, kind: str, problems: list[tuple[ErrorLoc, str, Any]]
) -> T:
    """Validate ``data`` with ``handler`` and report ``problems`` along with its errors.

    For checks of the raw table (which keys are present) in a wrap validator: pydantic
    skips "after" model validators once a field fails, which would leave these mistakes
    for a second ``config check`` run.
    """
    try:
        result = handler(data)
    except ValidationError as exc:
        if not problems:
            raise
        found = [
            ((*error["loc"],), error["msg"], error["input"], error["type"])
            for error in exc.errors(include_url=False)
        ]
        found += [(loc, message, value, kind) for loc, message, value in problems]
        raise ValidationError.from_exception_data(
            "settings",
            [
                InitErrorDetails(
                    type=PydanticCustomError(type_, "{message}", {"message": message}),
                    loc=loc,
                    input=value,
                )
                for loc, message, value, type_ in found
            ],
        ) from None
    if problems:
        raise errors_at(kind, problems)
    return result


NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""A setting that must not be blank (surrounding spaces are dropped)."""
NeutralFieldName = Annotated[
    str, Matches(r"^[a-z][a-z0-9_]*$", "a neutral field name such as root_cause (a-z, 0-9, _)")
]
"""The name of a neutral model field, as mapping tables use them."""
EmailAddress = Annotated[str, Matches(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address")]
"""An email address (format only; nothing is sent)."""
