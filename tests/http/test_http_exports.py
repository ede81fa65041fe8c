"""``itsmhub.http.__all__`` is exactly the package's public surface, sorted as ruff sorts."""

from __future__ import annotations

import types

import itsmhub.http


def _isort_key(name: str) -> tuple[int, str]:
    # RUF022: SCREAMING_CASE constants, then CamelCase classes, then functions.
    if name.isupper():
        return (0, name)
    return (1 if name[0].isupper() else 2, name)


def test_all_is_sorted() -> None:
    names = list(itsmhub.http.__all__)
    assert names == sorted(names, key=_isort_key)
    assert len(names) == len(set(names))


def test_all_is_complete_and_exists() -> None:
    # dir(), not vars(): the package loads its names on first use (PEP 562).
    public = {
        name
        for name in dir(itsmhub.http)
        if not name.startswith("_")
        and not isinstance(getattr(itsmhub.http, name), types.ModuleType)
    }
    public -= {"annotations", "import_module", "TYPE_CHECKING", "Any"}
    assert set(itsmhub.http.__all__) == public
