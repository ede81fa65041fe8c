"""Each figure on the hand-made history of history.py, worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from reports.history import DAY, T0, UNTIL, incident
from store.conftest import Database

from itsmhub.model import Enrichment, Link, LinkKind
from itsmhub.reports import Dimension, Report, build_report
from itsmhub.store import Store

H, D = 3600.0, 86400.0


async def report(store: Store, by: Dimension | None = None) -> Report:
    return await build_report(store, since=T0, until=UNTIL, by=by, now=UNTIL)


def value(report: Report, key: str, group: str | None = None) -> float | None:
    found = report.overall if group is None else next(g for g in report.groups if g.group == group)
    return found.figure(key).value


@pytest.mark.anyio
async def test_incident_side(seeded: Store) -> None:
    found = await report(seeded)
    # A, B, C, D, G: E is merged into A, F cancelled, H and I outside the period; A lives
    # in three tools and counts once.
    assert value(found, "volume") == 5
    assert value(found, "merged") == 1
    assert value(found, "cancelled") == 1
    assert found.overall.figure("volume").systems == ["jira", "servicenow", "zendesk"]
    # Acknowledged after 0.5h (A), 2h (B: assignee before its status moved at 3h), 1h (C),
    # 4h (D); G has no history. Sorted 0.5, 1, 2, 4: median (1+2)/2 = 1.5h; p90 at rank
    # (4-1)·0.9 = 2.7: 2 + 0.7·(4-2) = 3.4h.
    assert value(found, "mtta_median") == pytest.approx(1.5 * H)
    assert value(found, "mtta_p90") == pytest.approx(3.4 * H)
    assert found.overall.figure("mtta_median").n == 4
    # Resolved by the end: A 4h, B 10h, C 6h (its last resolution), G 24h; D is open.
    # Sorted 4, 6, 10, 24: median 8h; p90 at 2.7: 10 + 0.7·14 = 19.8h.
    assert value(found, "mttr_median") == pytest.approx(8 * H)
    assert value(found, "mttr_p90") == pytest.approx(19.8 * H)
    # Response due 1h: A acknowledged at 0.5h (met), B at 2h (breached): 1 of 2.
    assert value(found, "sla_response") == pytest.approx(0.5)
    # Resolution due 8h: A at 4h met, B at 10h breached, D open past its due time: 1 of 3.
    assert value(found, "sla_resolution") == pytest.approx(1 / 3)
    assert found.overall.figure("sla_resolution").n == 3
    # Resolved with history: A, B, C. B changed hands (l1 → l2), C was reopened: 1 of 3.
    assert value(found, "fcr") == pytest.approx(1 / 3)
    # Resolved at least once, with history: A, B, C; C reopened: 1 of 3.
    assert value(found, "reopen_rate") == pytest.approx(1 / 3)
    assert value(found, "major") == 1
    # D, the one major incident, is not resolved: no MTTR, rather than a made-up zero.
    assert value(found, "major_mttr_median") is None


@pytest.mark.anyio
async def test_problem_side(seeded: Store) -> None:
    found = await report(seeded)
    # A, B, G share title and service (E, merged, does not count): a cluster of 3; C and G
    # link to P1. Recurring: A, B, C, G = 4 of 5.
    assert value(found, "recurrence_rate") == pytest.approx(4 / 5)
    # C and G link to one problem, P1: 2 incidents per problem.
    assert value(found, "incidents_per_problem") == pytest.approx(2.0)
    # Opened in the period: P1 at T0+10d, two days after its second incident (G, T0+8d);
    # P2 at T0+1d with no incident, before any recurrence.
    assert value(found, "recurrence_to_problem_median") == pytest.approx(2 * D)
    assert found.overall.figure("recurrence_to_problem_median").n == 1
    assert value(found, "problems_before_recurrence") == 1
    # Open at the end: P1 (4 days old), P2 (13 days), P5 (114 days).
    assert value(found, "open_problems") == 3
    assert value(found, "open_problems_0_30d") == 2
    assert value(found, "open_problems_90_180d") == 1
    # Waiting for a fix: K1 since its publication (20 days) and P2 since it was opened
    # (13 days); P5 is documented by K1 and counts once. Median (13+20)/2 = 16.5 days.
    assert value(found, "known_errors_waiting") == 2
    assert value(found, "known_errors_wait_median") == pytest.approx(16.5 * D)
    assert value(found, "known_errors_wait_max") == pytest.approx(20 * D)
    assert [n.name for n in found.waiting_known_errors] == ["K1", "P2"]
    # Fixed in the period: P3 (no change named) and P4 (CHG0030001).
    assert value(found, "fixes_without_change") == 1
    assert found.overall.figure("fixes_without_change").n == 2
    assert [n.record_id for n in found.fixes_without_change] == ["P3"]


@pytest.mark.anyio
async def test_trend_marks_fixed_problems(seeded: Store) -> None:
    trend = (await report(seeded)).trend
    assert trend.by is Dimension.CATEGORY
    assert trend.weeks == [date(2026, 3, 2), date(2026, 3, 9)]
    # Week 1: A, B (network), C (email), D (printing); week 2: G (network).
    assert {s.name: s.counts for s in trend.series} == {
        "network": [2, 1],
        "email": [1, 0],
        "printing": [1, 0],
    }
    # P3 fixed on T0+5d (week 1, its own category), P4 on T0+9d (week 2, email).
    assert [(m.week, m.series, m.problem) for m in trend.markers] == [
        (date(2026, 3, 2), "network", "P3"),
        (date(2026, 3, 9), "email", "P4"),
    ]


@pytest.mark.anyio
async def test_groups(seeded: Store) -> None:
    found = await report(seeded, Dimension.SERVICE)
    names = [g.group for g in found.groups]
    # By volume: vpn (A, B, G; "VPN" and "VPN " fold to it), then email and printer.
    assert names[:3] == ["vpn", "email", "printer"]
    assert value(found, "volume", "vpn") == 3
    # vpn resolved in 4h, 10h and 24h: median 10h.
    assert value(found, "mttr_median", "vpn") == pytest.approx(10 * H)
    assert value(found, "mttr_median", "email") == pytest.approx(6 * H)
    assert value(found, "mttr_median", "printer") is None
    # The whole is unchanged by the breakdown.
    assert value(found, "mttr_median") == pytest.approx(8 * H)
    by_system = await report(seeded, Dimension.SYSTEM)
    # A counts in jira, where it was first filed, only.
    assert value(by_system, "volume", "jira") == 3  # A, C, G
    assert value(by_system, "volume", "servicenow") == 1  # B
    assert value(by_system, "volume", "zendesk") == 1  # D


@pytest.mark.anyio
async def test_empty_store_gives_empty_figures(db: Database) -> None:
    store = await db.open()
    try:
        found = await report(store)
    finally:
        await store.close()
    assert value(found, "volume") == 0
    assert value(found, "mttr_median") is None
    assert value(found, "recurrence_rate") is None
    assert found.trend.weeks == [date(2026, 3, 2), date(2026, 3, 9)]


@pytest.mark.anyio
async def test_mutual_duplicates_count_once_and_departments_group(db: Database) -> None:
    store = await db.open()
    try:
        sales, ops = Enrichment(department="Sales"), Enrichment(department="Ops")
        # X and Y name each other as duplicates (two tools, each linking its own way):
        # X, opened first, counts; Y is merged. Z has no department.
        await store.put_record(incident("X", T0, "jira", enrichment=sales))
        to_x = [Link(kind=LinkKind.DUPLICATE_OF, target_id="X")]
        await store.put_record(incident("Y", T0 + DAY, "zendesk", enrichment=ops, links=to_x))
        await store.put_record(incident("Z", T0 + DAY, "jira"))
        await store.add_link("X", Link(kind=LinkKind.DUPLICATE_OF, target_id="Y"))
        found = await report(store, Dimension.DEPARTMENT)
    finally:
        await store.close()
    assert value(found, "volume") == 2  # X and Z
    assert value(found, "merged") == 1  # Y
    assert {g.group: g.figure("volume").value for g in found.groups} == {
        "Sales": 1,
        "(none)": 1,
        "Ops": 0,  # Y's department: its only incident was merged
    }
