"""What the next cycle's rules step will see and propose, without doing any of it.

``rules dry-run`` without ``--since`` asks this: the step itself runs on a rehearsal of
the store (rolled back at the end), from the position the last cycle stored. So the
preview covers exactly the tickets the step will read (a backfill's old tickets
included, which a "last 90 days" replay would miss), and what it proposes for one batch
is carried out inside the rehearsal before the next batch, as in the real step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .hub import Hub
from .rules_run import CURSOR, RulesReport, RulesStep


@dataclass
class StepPreview:
    report: RulesReport
    since: datetime | None
    """Where the step resumes: it reads tickets changed after this (None: every ticket,
    the rules have not run yet)."""


async def preview_rules_step(hub: Hub) -> StepPreview:
    """Run the rules step on a rehearsal and report what it saw and proposed."""
    stored = await hub.store.get_cursor(*CURSOR)
    since = datetime.fromisoformat(stored[0]) if isinstance(stored, list) and stored else None
    async with hub.store.rehearsal() as rehearsal:
        report = await RulesStep().run(replace(hub, store=rehearsal))
    return StepPreview(report, since)
