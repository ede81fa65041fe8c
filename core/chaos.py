"""Kill points for crash testing: SIGKILL this process at a named moment, on request.

Inert unless ``ITSMHUB_CHAOS_KILL`` is set, as the project's chaos test sets it for the
sync process it drives (``tests/chaos``). The value names one point and which time it is
reached kills::

    ITSMHUB_CHAOS_KILL="http:POST /api/now/v1/batch#2"   the answer to the 2nd Batch API call
    ITSMHUB_CHAOS_KILL="http:PATCH /api/now/table/*#1"   after a PATCH's answer came back
    ITSMHUB_CHAOS_KILL="pull.flushed#3"                  after a page's transaction committed
    ITSMHUB_CHAOS_KILL="pull.merged#1"                   a page merged, before it is written
    ITSMHUB_CHAOS_KILL="push.written#1"                  writes answered, before settling
    ITSMHUB_CHAOS_KILL="push.overlapped#1"               a round's intents kept while the
                                                         round before may still be settling

``http:`` points match ``METHOD path`` with a glob, after the vendor answered: the vendor
acted, the hub has not recorded it — the window crash safety is about. The kill is a real
SIGKILL: no ``finally`` blocks, no flushing, as with ``kill -9``.

``ITSMHUB_CHAOS_CLAIM_BATCH`` makes push rounds small, so that the few rows of a chaos run
take several rounds, and the points between rounds are reached.
"""

from __future__ import annotations

import fnmatch
import os
import signal
from collections import Counter

KILL_ENV = "ITSMHUB_CHAOS_KILL"
CLAIM_BATCH_ENV = "ITSMHUB_CHAOS_CLAIM_BATCH"

_reached: Counter[str] = Counter()


def _armed() -> tuple[str, int] | None:
    value = os.environ.get(KILL_ENV, "").strip()
    if not value:
        return None
    point, _, nth = value.rpartition("#")
    if not point:
        return value, 1
    return point, int(nth) if nth.isdigit() else 1


def reached(point: str) -> None:
    """Called at a kill point; SIGKILL the process if it is the armed one's N-th time."""
    armed = _armed()
    if armed is None:
        return
    pattern, nth = armed
    if pattern.startswith("http:") != point.startswith("http:"):
        return
    if not fnmatch.fnmatchcase(point, pattern):
        return
    _reached[pattern] += 1
    if _reached[pattern] >= nth:
        os.kill(os.getpid(), signal.SIGKILL)


def armed() -> bool:
    return _armed() is not None


def claim_batch(default: int) -> int:
    """Rows a push round claims: ``default``, unless the chaos test asks for fewer."""
    value = os.environ.get(CLAIM_BATCH_ENV, "").strip()
    return min(default, int(value)) if value.isdigit() and int(value) > 0 else default
