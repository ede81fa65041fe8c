"""Settings of the Python process that the engine's workload wants."""

from __future__ import annotations

import gc

#: Allocations between two runs of the cyclic garbage collector's youngest generation.
#: Python's default (700) runs it several times per record of a page, and every tenth
#: of those runs promotes survivors until a full collection walks every live object
#: (the page, its records and models, the store's statements) again: measured on a
#: 20,000-record backfill, a fifth of the CPU. The engine's garbage is almost all freed
#: by reference counting, so collecting less often costs no memory worth counting.
YOUNG_GENERATION_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect cyclic garbage less often (see :data:`YOUNG_GENERATION_THRESHOLD`); a
    threshold already set higher by the embedding process is kept."""
    young, middle, old = gc.get_threshold()
    if 0 < young < YOUNG_GENERATION_THRESHOLD:
        gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
