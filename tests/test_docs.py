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
