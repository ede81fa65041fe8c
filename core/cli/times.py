"""``--since`` and ``--until``: one parameter type for every command that takes a time.

Each accepts the same forms: a duration back from now (``90d``, ``12h``, ``2w``), a date
(``2026-01-31``, midnight UTC), or an ISO-8601 timestamp with an offset or ``Z``
(``2026-11-23T09:00:00Z``, the form ``itsmhub status`` prints); a timestamp without one
is read as UTC. Where history may be read whole, ``all`` means from the beginning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click

from ..durations import parse_duration
from .context import iso

FORMS = "a duration (90d, 12h), a date (2026-01-31) or a timestamp (2026-11-23T09:00:00Z)"


@dataclass(frozen=True)
class When:
    """A point in time as given on the command line: ``ago`` before now, or ``at``."""

    text: str
    ago: timedelta | None = None
    at: datetime | None = None

    def resolve(self, now: datetime) -> datetime:
        """The UTC moment this stands for, relative durations measured back from ``now``."""
        if self.at is not None:
            return self.at
        assert self.ago is not None
        return now - self.ago


#: ``--since all``: the whole history.
ALL = When(text="all")


def parse_when(text: str) -> When:
    """Read one of :data:`FORMS`; ValueError naming them otherwise."""
    value = text.strip()
    try:
        return When(text=value, ago=parse_duration(value))
    except ValueError:
        pass
    try:
        if len(value) == 10:  # 2026-01-31: a date alone, midnight UTC
            day = date.fromisoformat(value)
            return When(text=value, at=datetime(day.year, day.month, day.day, tzinfo=UTC))
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected {FORMS}, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return When(text=value, at=moment.astimezone(UTC))


class Moment(click.ParamType):
    """The click type of ``--since``/``--until``; ``allow_all`` accepts ``all``."""

    name = "when"

    def __init__(self, *, allow_all: bool = False) -> None:
        self.allow_all = allow_all

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> When:
        if isinstance(value, When):
            return value
        if self.allow_all and str(value).strip().lower() == "all":
            return ALL
        try:
            return parse_when(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "WHEN"


def resolve_range(
    since: When | None, until: When | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """``--since`` and ``--until`` as UTC moments (None: unbounded); a usage error when the
    range is empty, which would otherwise read nothing without a word."""
    start = None if since is None or since is ALL else since.resolve(now)
    end = None if until is None else until.resolve(now)
    if start is not None and end is not None and end <= start:
        raise click.BadParameter(
            f"{until.text if until else ''} is not after --since {since.text if since else ''} "
            f"({iso(end)} <= {iso(start)})",
            param_hint="'--until'",
        )
    return start, end


def since_option(
    *, default: str | None = None, required: bool = False, allow_all: bool = True, help: str
) -> Any:
    """The ``--since`` option; with ``allow_all``, ``all`` reads the whole history."""
    return click.option(
        "--since",
        type=Moment(allow_all=allow_all),
        default=default,
        required=required,
        show_default=default is not None,
        help=f"{help} Takes {FORMS}" + (", or all." if allow_all else "."),
    )


def until_option(*, help: str) -> Any:
    """The ``--until`` option (exclusive); default now."""
    return click.option("--until", type=Moment(), help=f"{help} Takes the forms of --since.")
