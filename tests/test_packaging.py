"""The wheel holds every package: setuptools cannot discover them across our renames."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPING = {
    "core": "itsmhub",
    **{f"plugins/{p}": f"itsmhub_{p}" for p in ("jira", "servicenow", "zendesk", "okta")},
}


def test_every_package_folder_is_listed_in_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(project["tool"]["setuptools"]["packages"])
    found = set()
    for folder, name in MAPPING.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base).parts
            found.add(".".join((name, *relative)))
    assert found == listed


def test_the_example_config_ships_inside_the_package() -> None:
    shipped = ROOT / "core" / "templates" / "config.example.toml"
    assert shipped.read_text() == (ROOT / "config.example.toml").read_text()
