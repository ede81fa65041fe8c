"""Writes ``docs/cli.md`` from the click commands, so the command reference never drifts.

python -m itsmhub.cli.reference > docs/cli.md
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator

import click

_INTRO = """# Command reference

Every `itsmhub` command, its arguments and options, as `--help` shows them. This page is
generated from the commands: `python -m itsmhub.cli.reference > docs/cli.md` (a test fails
when it is out of date, or when a command is missing from the README or
docs/architecture.md).

Exit codes: 0 ok, 1 the command failed (or, for `status`, a connector is failing), 2 a
usage or config error. `--log-level` and `-v` are accepted before or after any
subcommand. Shell completion: see the README.
"""


def commands(group: click.Group, prefix: str = "itsmhub") -> Iterator[tuple[str, click.Command]]:
    """Every command below ``group`` (groups included), by its full path, in order."""
    ctx = click.Context(group, info_name=prefix)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, path)


#: Options every command takes; documented once, on ``itsmhub`` itself.
_EVERYWHERE = {"log_level", "verbose"}


def render(root: click.Group) -> str:
    """The whole reference as Markdown."""
    parts = [_INTRO, _section("itsmhub", root, root=True)]
    parts += [_section(path, command) for path, command in commands(root)]
    return "\n".join(parts)


def _section(path: str, command: click.Command, *, root: bool = False) -> str:
    arguments = " ".join(
        p.human_readable_name if p.required else f"[{p.human_readable_name}]"
        for p in command.params
        if isinstance(p, click.Argument)
    )
    lines = [f"## `{path}{' ' + arguments if arguments else ''}`", ""]
    help_text = inspect.cleandoc(command.help or "").replace("\b\n", "")
    if help_text:
        lines += [help_text, ""]
    options = [
        p
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden and (root or p.name not in _EVERYWHERE)
    ]
    if options:
        lines += ["| option | meaning | default |", "| --- | --- | --- |"]
        lines += [_option(option) for option in options]
        lines.append("| `-h`, `--help` | show the help and exit | |")
        lines.append("")
    return "\n".join(lines)


def _option(option: click.Option) -> str:
    names = ", ".join(f"`{name}`" for name in [*option.opts, *option.secondary_opts])
    if not option.is_flag and not option.count:
        names += f" `{_metavar(option)}`"
    meaning = " ".join((option.help or "").split())
    envvar = option.envvar if isinstance(option.envvar, str) else None
    if envvar and envvar not in meaning:
        meaning += f" Environment: `{envvar}`."
    default = ""
    if option.show_default and option.default is not None and not option.is_flag:
        default = f"`{option.default}`"
    return f"| {names} | {meaning.replace('|', '/')} | {default} |"


def _metavar(option: click.Option) -> str:
    if option.metavar:
        return option.metavar
    if isinstance(option.type, click.Choice):
        return "{" + ",".join(str(c) for c in option.type.choices) + "}"
    if isinstance(option.type, click.types.IntParamType):
        return "N"
    named = option.type.get_metavar(option, click.Context(click.Command("itsmhub")))
    return named or option.type.name.upper()


if __name__ == "__main__":
    from . import cli

    sys.stdout.write(render(cli))
