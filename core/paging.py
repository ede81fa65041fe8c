"""Guards for paging loops: a vendor that ignores a cursor must stop a pull, not loop it."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from .errors import FatalError


class PageGuard:
    """Refuses a page position that repeats (a page token handed back again) or, with
    ``ordered``, one that does not move forward (a keyset the vendor ignored).

        guard = PageGuard("incident pages", ordered=True)
        guard.advance((stamp, sys_id))   # FatalError if not past the last one
    """

    def __init__(self, what: str, *, ordered: bool = False) -> None:
        self.what = what
        self.ordered = ordered
        self._seen: set[Hashable] = set()
        self._last: Any = None

    def advance(self, position: Hashable) -> None:
        if position in self._seen or (
            self.ordered and self._last is not None and not position > self._last
        ):
            raise FatalError(
                f"{self.what}: the vendor answered the same page again (at {position!r}); "
                "stopping instead of looping",
                fix="report it with the connector's name: the vendor ignored the page cursor",
            )
        self._seen.add(position)
        self._last = position
