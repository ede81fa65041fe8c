"""A batch's facts are computed in a worker thread while its other statements run
(``store/facts_writes.py``): the same facts, and errors raised as themselves."""

from __future__ import annotations

import threading

import pytest

from itsmhub import StoreError
from itsmhub.store.facts_writes import meanwhile

pytestmark = pytest.mark.anyio


async def test_the_job_runs_in_a_worker_thread_beside_the_block() -> None:
    started = threading.Event()

    def job() -> str:
        started.set()
        return threading.current_thread().name

    async with meanwhile(job) as computed:
        block_thread = threading.current_thread().name
    assert started.is_set() and computed.result != block_thread


async def test_an_error_of_the_block_is_raised_as_itself_after_the_job_ended() -> None:
    ended = threading.Event()
    with pytest.raises(StoreError, match="refused"):
        async with meanwhile(ended.set):
            raise StoreError("the store refused the page", fix="see the log")
    assert ended.is_set()  # the job's thread ended before the error left


async def test_an_error_of_the_job_is_raised_as_itself() -> None:
    def job() -> None:
        raise ValueError("no model")

    with pytest.raises(ValueError, match="no model"):
        async with meanwhile(job):
            pass


async def test_the_blocks_error_wins_over_the_jobs() -> None:
    def job() -> None:
        raise ValueError("no model")

    with pytest.raises(StoreError):
        async with meanwhile(job):
            raise StoreError("the store refused the page", fix="see the log")
