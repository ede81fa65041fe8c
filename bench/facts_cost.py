"""What a ticket's rule facts cost to compute, per ticket, on ServiceNow-like tickets.

    .venv/bin/python bench/facts_cost.py            # µs a ticket, best of five pages
    .venv/bin/python bench/facts_cost.py --profile  # and where it goes (cProfile)

A page of 1,000 incidents, each with a title naming a host, a 600-character description,
a reporter and an assignee, and two comments (one mentioning a ticket), against a
directory of 2,000 known people: what `facts_of_many` does for every page a pull writes.
"""

from __future__ import annotations

import cProfile
import pstats
import random
import sys
import time
from datetime import UTC, datetime

from itsmhub.model import Comment, ExternalRef, Incident, PersonRef
from itsmhub.rules.facts import facts_of_many
from itsmhub.rules.people import People

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WORDS = [
    "vpn",
    "email",
    "printer",
    "outlook",
    "teams",
    "drops",
    "fails",
    "slow",
    "crash",
    "login",
    "password",
    "reset",
    "access",
    "share",
    "laptop",
    "wifi",
    "calendar",
    "sync",
    "error",
    "timeout",
]
DESCRIPTION = (
    "Since the upgrade on Monday the VPN client disconnects every few minutes for the "
    "whole finance team; restarting the client helps for a while. Screenshot attached, "
    "logs from lt-0423 and lt-0117 below. "
) * 3


def page(size: int, rng: random.Random) -> list[Incident]:
    def title() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(6)) + f" on lt-{rng.randint(1000, 9999)}"

    comments = [
        Comment(body="Restarted the relay, mail flows again. See INC0012345.", created_at=T0),
        Comment(body="Still failing for jdoe", created_at=T0),
    ]
    return [
        Incident(
            title=title(),
            description=DESCRIPTION,
            status="new",
            service="vpn",
            reporter=PersonRef(email=f"user{n % 500}@example.com"),
            assignee=PersonRef(email=f"agent{n % 20}@example.com"),
            comments=comments,
            created_at=T0,
            updated_at=T0,
            refs=[ExternalRef(system="snow", remote_id=str(n), key=f"INC{n:07d}")],
        )
        for n in range(size)
    ]


def main() -> None:
    tickets = page(1000, random.Random(1))
    people = People({f"user{i}" for i in range(2000)})
    facts_of_many(tickets, now=T0, people=people)  # loads the embedding model
    best = min(_timed(tickets, people) for _ in range(5))
    print(f"facts of a ServiceNow-like ticket: {best / len(tickets) * 1e6:.1f} µs")
    if "--profile" in sys.argv:
        profile = cProfile.Profile()
        profile.runcall(facts_of_many, tickets, now=T0, people=people)
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)


def _timed(tickets: list[Incident], people: People) -> float:
    started = time.perf_counter()
    facts_of_many(tickets, now=T0, people=people)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
