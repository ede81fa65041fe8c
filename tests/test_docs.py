"""The hook reference and the hook tests keep up with the hookspecs (as datasette does)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from itsmhub import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOK_DOCS = ROOT / "docs" / "plugin-hooks.md"


def hook_names() -> list[str]:
    return sorted(
        name
        for name, obj in vars(hookspecs).items()
        if inspect.isfunction(obj) and hasattr(obj, "itsmhub_spec")
    )


def test_there_are_hooks() -> None:
    assert hook_names() == [
        "register_connectors",
        "register_emulators",
        "register_enrichers",
        "register_rule_types",
        "resolve_secret",
    ]


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    headings = re.findall(r"^## (.+)$", HOOK_DOCS.read_text(), flags=re.MULTILINE)
    assert f"{hook}({params})" in headings, f"docs/plugin-hooks.md has no '## {hook}({params})'"


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_test(hook: str) -> None:
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert f"def test_hook_{hook}(" in sources, f"no test_hook_{hook} in tests/"


@pytest.mark.parametrize("hook", hook_names())
def test_every_hookspec_has_a_docstring(hook: str) -> None:
    assert (getattr(hookspecs, hook).__doc__ or "").strip()


def test_configuration_reference_is_current() -> None:
    from itsmhub.config.reference import render
    from itsmhub.plugins import load_plugins

    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "jira,servicenow,zendesk,okta"})
    written = (ROOT / "docs" / "configuration.md").read_text()
    assert written == render(plugins), (
        "docs/configuration.md is out of date: "
        "python -m itsmhub.config.reference > docs/configuration.md"
    )


# --- the command line and the config, against the docs ------------------------------


def test_command_reference_is_current() -> None:
    from itsmhub.cli import cli
    from itsmhub.cli.reference import render

    written = (ROOT / "docs" / "cli.md").read_text()
    assert written == render(cli), (
        "docs/cli.md is out of date: python -m itsmhub.cli.reference > docs/cli.md"
    )


def _command_paths() -> list[str]:
    from itsmhub.cli import cli
    from itsmhub.cli.reference import commands

    return [path for path, command in commands(cli) if not hasattr(command, "commands")]


@pytest.mark.parametrize("doc", ["README.md", "docs/architecture.md"])
def test_every_command_is_named_in(doc: str) -> None:
    text = (ROOT / doc).read_text()
    missing = [path for path in _command_paths() if f"`{path}" not in text]
    assert missing == [], f"{doc} does not name {missing}"


def test_the_readme_names_only_options_that_exist() -> None:
    """Every `--option` the README's command table gives a command is one it takes."""
    from itsmhub.cli import cli
    from itsmhub.cli.reference import commands

    options = {
        path: {name for p in command.params for name in getattr(p, "opts", [])}
        | {name for p in command.params for name in getattr(p, "secondary_opts", [])}
        for path, command in commands(cli)
    }
    rows = re.findall(r"^\| `(itsmhub [^`]+)` \|", (ROOT / "README.md").read_text(), re.M)
    assert rows
    for row in rows:
        path = " ".join(w for w in row.split() if re.fullmatch(r"[a-z-]+", w))
        while path not in options and " " in path:
            path = path.rsplit(" ", 1)[0]  # `dlq list|show`: the group's first command
        named = set(re.findall(r"(--[a-z-]+)", row)) - {"--help", "--version"}
        for option in named:
            known = options.get(path, set()) | {
                o for p, opts in options.items() if p.startswith(f"{path} ") for o in opts
            }
            assert option in known, f"README: `{row}`: {path} has no {option}"


def _documented_keys() -> dict[str, str]:
    """Every key of docs/configuration.md's tables, with its type column."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    return dict(re.findall(r"^\| `([^`]+)` \| ([^|]+) \|", text, re.M))


def test_every_key_of_the_example_config_is_documented() -> None:
    import tomllib

    keys = _documented_keys()
    example = tomllib.loads((ROOT / "config.example.toml").read_text())
    missing: list[str] = []

    def walk(table: dict, prefix: str, where: str) -> None:
        for key, value in table.items():
            path = f"{prefix}{key}"
            by_its_keys = any(k.startswith(f"{path}.") for k in keys)
            if path not in keys and isinstance(value, dict) and by_its_keys:
                walk(value, f"{path}.", f"{where}{key}.")  # a table documented key by key
                continue
            if path not in keys:
                missing.append(f"{where}{key}")
                continue
            free = keys[path].strip().startswith("table of")  # keys of the admin's choosing
            if isinstance(value, dict) and not free:
                walk(value, f"{path}.", f"{where}{key}.")

    for section in ("store", "http", "sync"):
        walk(example[section], "", f"{section}.")
    for name, table in {**example["connectors"], **example["rules"]}.items():
        walk(table, "", f"{name}.")
    assert missing == [], f"docs/configuration.md does not document {missing}"


def test_every_rule_key_has_a_meaning() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    rules = text[text.index("## Rules") :]
    empty = re.findall(r"^\| `([^`]+)` \|[^|]+\|[^|]+\|\s*\|$", rules, re.M)
    assert empty == [], f"rule keys without a meaning: {empty}"
    assert "root" not in re.findall(r"^\| `[^`]*\.?(root)` \|", rules, re.M)


def test_every_emulators_credentials_are_documented() -> None:
    from itsmhub.plugins import load_plugins

    text = (ROOT / "docs" / "emulators.md").read_text()
    emulators = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "jira,servicenow,zendesk,okta"})
    registry = emulators.registry.emulators
    assert registry.names()
    for kind in registry.names():
        emulator = registry.get(kind)
        assert emulator is not None
        for name, value in emulator.credentials.items():
            assert f"| `{kind}` | `{name}` | `{value}` |" in text, (kind, name)
