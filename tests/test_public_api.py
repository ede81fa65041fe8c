"""The public API is exactly what ``itsmhub.__all__`` says, and plugins use nothing else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import itsmhub

ROOT = Path(__file__).resolve().parent.parent


def test_all_is_complete() -> None:
    names = list(itsmhub.__all__)
    # The order itself is ruff's (RUF022: constants, classes, then functions).
    assert len(names) == len(set(names))
    # dir(), not vars(): names that need httpx load on first use (PEP 562).
    public = {n for n in dir(itsmhub) if not n.startswith("_") or n == "__version__"}
    modules = {n for n in public if type(getattr(itsmhub, n)).__name__ == "module"}
    assert set(names) == public - modules


def test_every_exported_name_exists() -> None:
    for name in itsmhub.__all__:
        assert hasattr(itsmhub, name), name


PLUGIN_FILES = sorted((ROOT / "plugins").rglob("*.py"))
#: Public modules besides the package itself: the emulator toolkit and the test suite.
PUBLIC_MODULES = ("itsmhub.emulation", "itsmhub.testing")


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_the_public_api(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            assert name in PUBLIC_MODULES or not name.startswith("itsmhub."), (
                f"{path.relative_to(ROOT)}:{node.lineno} imports {name}; "
                "plugins import only from 'itsmhub'"
            )
