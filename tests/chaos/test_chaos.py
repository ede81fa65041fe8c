"""The chaos test's short seed: SIGKILL at write boundaries and faults, nothing lost or
doubled (see runner.py; the long run is bench/chaos.py)."""

from __future__ import annotations

from pathlib import Path

from chaos.runner import ChaosRun, ChaosSettings


def test_kills_and_faults_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    settings = ChaosSettings(incidents=4, rounds=4, edits_per_round=8, comments_per_round=2, seed=3)
    figures = ChaosRun(tmp_path, settings).run()
    assert figures.kills >= 2, figures.summary()
    assert figures.faults >= 1, figures.summary()
    assert figures.converged_after > 0, figures.summary()
    assert figures.ok, (
        figures.summary(),
        figures.lost_values,
        figures.lost_comments,
        figures.doubled_comments,
    )
