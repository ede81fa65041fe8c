"""The long chaos run: two ServiceNow emulators mirrored both ways, sync killed with
SIGKILL at write boundaries and at random, faults injected; prints what was done and what
the oracle found (tests/chaos/runner.py explains the run and the oracle).

    .venv/bin/python bench/chaos.py [--incidents 300] [--rounds 40] [--seed 1]
    .venv/bin/python bench/chaos.py --store-url postgresql://postgres@127.0.0.1/chaos

With ``--store-url`` the hub's store is that (empty) PostgreSQL database, where pushes
and pulls hold transactions of their own at once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from chaos.runner import ChaosRun, ChaosSettings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--edits", type=int, default=60, help="edits per round")
    parser.add_argument("--comments", type=int, default=15, help="comments per round")
    parser.add_argument("--creates", type=int, default=2, help="new incidents per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--store-url",
        help="an empty PostgreSQL database for the hub's store (default: SQLite in a temp folder)",
    )
    args = parser.parse_args()
    settings = ChaosSettings(
        incidents=args.incidents,
        rounds=args.rounds,
        edits_per_round=args.edits,
        comments_per_round=args.comments,
        creates_per_round=args.creates,
        converge_cycles=20,
        seed=args.seed,
        store_url=args.store_url,
    )
    with tempfile.TemporaryDirectory() as folder:
        figures = ChaosRun(Path(folder), settings).run()
    for name, value in figures.summary().items():
        print(f"{name:>18}: {value}")
    for problem in figures.lost_values + figures.lost_comments + figures.doubled_comments:
        print("  ", problem)
    return 0 if figures.ok and figures.converged_after > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
