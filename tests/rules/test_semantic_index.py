"""The meaning index: a Hamming scan of SimHash codes finds near tickets among many,
forgets rows past the horizon, and keeps distinct wordings as a problem's exemplars."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from itsmhub.model import ExternalRef, Incident
from itsmhub.rules.builtin import RecurrenceSettings
from itsmhub.rules.clusters import Clusters
from itsmhub.rules.embedding import DIMENSIONS, encode
from itsmhub.rules.facts import facts_of
from itsmhub.rules.semantic import CODE_BITS, DENSE_ROWS, DENSE_STEP, SemanticIndex, hamming_bound

T0 = datetime(2026, 3, 1, tzinfo=UTC)
MONTH = timedelta(days=30)


def unit(rng: np.random.Generator) -> np.ndarray:
    vector = rng.standard_normal(DIMENSIONS).astype(np.float32)
    return vector / np.linalg.norm(vector)


def at_cosine(base: np.ndarray, cosine: float, rng: np.random.Generator) -> np.ndarray:
    """A unit vector at exactly ``cosine`` from ``base``."""
    other = unit(rng)
    other -= (other @ base) * base
    other /= np.linalg.norm(other)
    return cosine * base + math.sqrt(1 - cosine**2) * other


def test_the_hamming_bound_follows_the_angle() -> None:
    # Identical vectors differ in no bit; a looser cosine allows more differing bits.
    assert hamming_bound(1.0, CODE_BITS) == 0
    assert hamming_bound(0.85, CODE_BITS) < hamming_bound(0.7, CODE_BITS) < CODE_BITS // 2


def test_a_near_ticket_is_found_among_many_unrelated_ones() -> None:
    rng = np.random.default_rng(1)
    index = SemanticIndex(0.85, MONTH, crowded=None)  # the scan alone
    block = ("email",)
    for number in range(2000):  # unrelated tickets of the same block
        index.add(block, f"other {number}", encode(unit(rng)), T0, f"noise-{number}")
    found = 0
    for trial in range(50):
        base = unit(rng)
        first, _, _ = index.add(block, f"a {trial}", encode(base), T0, f"a-{trial}")
        near = at_cosine(base, 0.9, rng)
        second, live, _ = index.add(block, f"b {trial}", encode(near), T0, f"b-{trial}")
        found += live is not None and live.entry is first and second.cluster == first.cluster
    assert found >= 49  # a pair at cosine 0.9 survives the bound with p > 0.999


def test_rows_past_the_horizon_are_forgotten() -> None:
    rng = np.random.default_rng(2)
    index = SemanticIndex(0.85, MONTH)
    vector = unit(rng)
    index.add(("vpn",), "vpn drops", encode(vector), T0, "old")
    again = at_cosine(vector, 0.95, rng)
    _, live, _ = index.add(("vpn",), "tunnel drops", encode(again), T0 + MONTH * 2, "new")
    assert live is None, "two months later the first one is gone"
    assert len(index) == 1


def incident(number: int, title: str) -> Incident:
    return Incident(
        id=f"E{number}",
        title=title,
        service="email",
        refs=[ExternalRef(system="zendesk", remote_id=f"e{number}")],
        opened_at=T0 + timedelta(hours=number),
    )


def test_a_problem_keeps_distinct_wordings_as_exemplars() -> None:
    settings = RecurrenceSettings(type="recurrence", create_in="itsm", exemplars=2)
    clusters = Clusters(settings)
    titles = [
        "Outlook crashes at startup on lt-0423",
        "Outlook crashes at startup on lt-0117",  # the same wording, another host
        "Mailbox quota exceeded, cannot receive mail",
    ]
    for number, title in enumerate(titles):
        facts = facts_of(incident(number, title), now=T0)
        assert facts is not None
        clusters.place(facts, ("email",), facts.opened_at)
        clusters.learn(facts, 1, "P1")
    # The second one reads as the first: the two slots hold the two distinct wordings.
    assert clusters.vectors.exemplars_of("P1") == ["E0", "E2"]


def test_a_crowded_block_asks_for_nearer_tickets() -> None:
    """Among thousands of recent tickets the nearest one of another cause is near by
    chance alone: past DENSE_ROWS rows the threshold rises, by DENSE_STEP a tenfold."""
    index = SemanticIndex(0.82, MONTH)
    assert index.dense(10) == index.dense(DENSE_ROWS) == 0.82
    assert index.dense(DENSE_ROWS * 10) == index.dense(DENSE_ROWS * 100) == 0.82 + DENSE_STEP
    rng = np.random.default_rng(4)
    block = ("printing",)
    base = unit(rng)
    sparse = SemanticIndex(0.82, MONTH)
    sparse.add(block, "label printer displays error", encode(base), T0, "a")
    _, live, _ = sparse.add(
        block, "label printer no display", encode(at_cosine(base, 0.86, rng)), T0, "b"
    )
    assert live is not None and live.entry.record_id == "a"
    crowded = SemanticIndex(0.82, MONTH)
    for number in range(DENSE_ROWS * 10):
        crowded.add(block, f"other {number}", encode(unit(rng)), T0, f"n{number}")
    crowded.add(block, "label printer displays error", encode(base), T0, "a")
    _, live, _ = crowded.add(
        block, "label printer no display", encode(at_cosine(base, 0.86, rng)), T0, "b"
    )
    assert live is None
    _, live, _ = crowded.add(
        block, "label printer error", encode(at_cosine(base, 0.995, rng)), T0, "c"
    )
    assert live is not None and live.entry.record_id == "a"
