"""A page's ticket facts, computed on two cores.

Fingerprinting and embedding the titles and descriptions is most of the CPU a pulled
ticket costs (a backfill spent nearly half its time there), and it is a pure function of
a few strings. For a large page the store hands half of it to a second process and
computes the other half itself meanwhile; the facts are written in the page's own
transaction exactly as before. Small pages (a daemon's usual cycle) never start the
process, and a page is never kept waiting for it to start: until its worker has loaded
its models, every page is analysed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime

from itsmhub.model import AnyRecordType
from itsmhub.rules.facts import (
    TicketFacts,
    analyse_texts,
    facts_of_many,
    text_inputs,
    tickets_among,
)
from itsmhub.rules.fingerprint import Fingerprint
from itsmhub.rules.people import People

log = logging.getLogger("itsmhub.store")

#: Tickets needing fresh facts from which a page is split between two processes: below
#: it, handing work over costs more than it saves.
SPLIT_AT = 200


def _exit_with_parent(parent: int) -> None:
    """Runs in the worker: end it when the process that started it is gone (killed with
    SIGKILL, its pipe to the worker is not always closed, and an orphan would wait on it
    forever holding its memory)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="itsmhub-parent-watch", daemon=True).start()


def _warm_up() -> bool:
    # Load the embedding model and MinHash tables before the first real page arrives.
    analyse_texts([("warm up", "", None, frozenset())], People())
    return True


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Analyst:
    """Computes ticket facts, half of a large page in a second process (see above)."""

    def __init__(self, *, split_at: int = SPLIT_AT) -> None:
        self.split_at = split_at
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[bool] | None = None
        self._disabled = _cores() < 2

    async def facts_of_many(
        self, records: Sequence[AnyRecordType], *, now: datetime, people: People
    ) -> list[TicketFacts]:
        """What :func:`~itsmhub.rules.facts.facts_of_many` returns, value for value."""
        tickets = tickets_among(records)
        if len(tickets) < self.split_at or not self._warm():
            return facts_of_many(tickets, now=now, people=people)
        inputs = text_inputs(tickets)
        half = len(inputs) // 2
        assert self._pool is not None
        theirs = asyncio.get_running_loop().run_in_executor(
            self._pool, analyse_texts, inputs[:half], people
        )
        mine = analyse_texts(inputs[half:], people)
        try:
            analysed: list[tuple[Fingerprint, bytes]] = [*await theirs, *mine]
        except Exception as exc:  # a dead worker: this process does it all from now on
            log.warning("facts worker failed (%s); analysing in this process", exc)
            self.close()
            self._disabled = True
            analysed = [*analyse_texts(inputs[:half], people), *mine]
        return facts_of_many(tickets, now=now, people=people, analysed=analysed)

    async def ready(self) -> bool:
        """Start the worker if it can run here, and wait until it has loaded its models."""
        if not self._warm() and self._ready is not None:
            # A failed start is reported by _warm, which turns the worker off.
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(self._ready)
        return self._warm()

    def _warm(self) -> bool:
        """Whether the worker is ready; starts it on first call."""
        if self._disabled:
            return False
        if self._pool is None:
            # "spawn": forking a process that runs an event loop and database threads is
            # unsafe; the worker starts clean and imports only the analysis.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
            self._ready = self._pool.submit(_warm_up)
        assert self._ready is not None
        if not self._ready.done():
            return False
        if self._ready.exception() is not None:
            log.warning("facts worker did not start (%s)", self._ready.exception())
            self.close()
            self._disabled = True
            return False
        return True

    def close(self) -> None:
        """Stop the worker (the process exits with its parent anyway)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


#: One per process: a daemon's stores and cycles share the worker.
ANALYST = Analyst()
