"""The incident side of a report: volume, MTTA, MTTR, SLA, first-contact resolution,
reopens and major incidents, from the store's counts and percentile ranks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .models import Figure, Unit
from .stats import percentile, share, system_names
from .tally import IncidentCounts

ACK = "from field_history: the first change of status away from 'new', or the first assignee"


class CountsView:
    """One group's counts, summed over the sets of systems its incidents live in."""

    def __init__(self, rows: Sequence[IncidentCounts], systems: Sequence[str]) -> None:
        self.total = IncidentCounts(None, 0)
        for row in rows:
            self.total.add(row)
        self._rows = rows
        self._systems = systems

    def __getitem__(self, counter: str) -> int:
        return int(getattr(self.total, counter))

    def systems(self, *counters: str) -> list[str]:
        """Where the incidents counted by any of ``counters`` live."""
        masks = (r.mask for r in self._rows if any(getattr(r, c) for c in counters))
        return system_names(masks, self._systems)


def incident_figures(view: CountsView, durations: Mapping[str, Sequence[float]]) -> list[Figure]:
    """Every incident figure of one group; ``durations`` are its sorted measures."""

    def quantile(measure: str, p: int, key: str, label: str, counter: str, how: str) -> Figure:
        values = durations.get(measure, ())
        value, n = percentile(values, p), len(values)
        return Figure(
            key=key,
            label=label,
            value=value,
            unit=Unit.SECONDS,
            n=n,
            how=how,
            systems=view.systems(counter),
        )

    def rate(key: str, label: str, part: str, whole: str, how: str) -> Figure:
        return Figure(
            key=key,
            label=label,
            value=share(view[part], view[whole]),
            unit=Unit.SHARE,
            n=view[whole],
            how=how,
            systems=view.systems(whole),
        )

    def count(key: str, label: str, counter: str, how: str) -> Figure:
        n = view[counter]
        return Figure(
            key=key,
            label=label,
            value=n,
            unit=Unit.COUNT,
            n=n,
            how=how,
            systems=view.systems(counter),
        )

    def sla(key: str, label: str, clock: str, how: str) -> Figure:
        met, breached = view[f"{clock}_met"], view[f"{clock}_breached"]
        return Figure(
            key=key,
            label=label,
            value=share(met, met + breached),
            unit=Unit.SHARE,
            n=met + breached,
            how=how,
            systems=view.systems(f"{clock}_met", f"{clock}_breached"),
        )

    mtta = f"opened → acknowledged ({ACK})"
    mttr = "opened → resolved (resolved_at, else closed_at), wall-clock, resolved by the end"
    return [
        count(
            "volume",
            "Incidents",
            "incidents",
            "incidents opened in the period, one per hub record however many tools hold it; "
            "merged duplicates and cancelled tickets left out",
        ),
        count(
            "merged",
            "Merged duplicates",
            "merged",
            "linked duplicate_of another incident, or resolved as a duplicate; not in the volume",
        ),
        count(
            "cancelled",
            "Cancelled",
            "cancelled",
            "status or resolution 'canceled'; not in the volume",
        ),
        quantile("tta", 50, "mtta_median", "MTTA (median)", "acked", mtta),
        quantile("tta", 90, "mtta_p90", "MTTA (p90)", "acked", mtta),
        quantile("ttr", 50, "mttr_median", "MTTR (median)", "timed", mttr),
        quantile("ttr", 90, "mttr_p90", "MTTR (p90)", "timed", mttr),
        sla(
            "sla_response",
            "SLA met: response",
            "response",
            "acknowledged by response_due_at, over incidents with a due time and history, "
            "breached once the due time passed unacknowledged",
        ),
        sla(
            "sla_resolution",
            "SLA met: resolution",
            "resolution",
            "resolved by resolution_due_at, over incidents with a due time, breached once the "
            "due time passed unresolved (still running ones left out)",
        ),
        rate(
            "fcr",
            "First-contact resolution",
            "fcr",
            "fcr_eligible",
            "resolved without changing hands (assignee or group) and never reopened, over "
            "resolved incidents whose field_history the hub holds",
        ),
        rate(
            "reopen_rate",
            "Reopen rate",
            "reopened",
            "reopen_eligible",
            "reopened at least once (resolved/closed → an open status in field_history), "
            "over incidents with history that were resolved at least once",
        ),
        count("major", "Major incidents", "major", "incidents flagged major by their tool"),
        quantile(
            "ttr_major",
            50,
            "major_mttr_median",
            "MTTR of major incidents (median)",
            "major",
            mttr,
        ),
    ]
