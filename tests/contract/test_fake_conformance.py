"""``itsmhub.testing`` against the fake connector: the reference the suite is built on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fakes.connector import REMOTES, FakeConnector, FakeSettings
from fakes.remote import FakeClock, FakeRemote
from pydantic import SecretStr

from itsmhub import (
    Checkpoint,
    ConnectorContext,
    Cursor,
    ExternalRef,
    FieldChanges,
    HttpSettings,
    PullItem,
    PullRequest,
    RateLimited,
    RecordKind,
    RemoteVersion,
    TransientError,
)
from itsmhub.testing import ConformanceTarget, ConnectorConformance

PAGE_SIZE = 3


class FakeTarget(ConformanceTarget):
    """The fake connector over a FakeRemote, with a person acting in the remote."""

    kinds = (RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR)
    # The fake has no HTTP layer: a 429 goes up as RateLimited for the engine to schedule.
    retries_rate_limits = False

    def __init__(self, connector: FakeConnector, remote: FakeRemote) -> None:
        super().__init__(connector, page_size=PAGE_SIZE)
        self.remote = remote

    async def edit_remote(self, ref: ExternalRef, **fields: Any) -> None:
        self.remote.edit(ref.remote_id, **fields)

    async def comment_remote(self, ref: ExternalRef, body: str, *, public: bool) -> None:
        self.remote.comment(ref.remote_id, body, "public" if public else "internal")

    async def remote_comment_texts(self, ref: ExternalRef) -> list[str]:
        return [c.body for c in self.remote.record(ref.remote_id).comments]

    async def inject_rate_limit(self, retry_after: float) -> None:
        # The fake's faults are scripted per operation; a 429 hits whichever call is next.
        faults, check = self.remote.faults, self.remote.faults.check

        def once(phase: str, op: str) -> None:
            faults.check = check  # type: ignore[method-assign]
            raise RateLimited("429 Too Many Requests", status=429, retry_after=retry_after)

        faults.check = once  # type: ignore[method-assign]

    async def lose_next_create_response(self) -> None:
        self.remote.faults.fail_after("create", TransientError("connection dropped"))


@asynccontextmanager
async def build_target(
    connector_class: type[FakeConnector] = FakeConnector,
) -> AsyncIterator[FakeTarget]:
    remote = REMOTES["conformance"] = FakeRemote(FakeClock())
    settings = FakeSettings(remote="conformance", page_size=PAGE_SIZE)
    context = ConnectorContext(http=HttpSettings(), resolve_secret=lambda ref: SecretStr(""))
    try:
        async with connector_class("fake", settings, context) as connector:
            yield FakeTarget(connector, remote)
    finally:
        del REMOTES["conformance"]


class TestFakeConformance(ConnectorConformance):
    @pytest.fixture
    async def conformance_target(self) -> AsyncIterator[FakeTarget]:
        async with build_target() as target:
            yield target


# --- the suite bites: broken variants of the fake fail the check written for them ------


class OffsetPagingConnector(FakeConnector):
    """Pages by offset: a record moving to the end during the read shifts another one
    into a page already read, which is skipped."""

    async def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        offset = 0
        while page := self.remote.list_changed(request.kind, since=None, limit=10**6)[
            offset : offset + self.page_size
        ]:
            for record in page:
                yield self._readable(record)
            yield Checkpoint(cursor=Cursor(watermark=page[-1].updated_at))
            offset += len(page)


class BlindUpdateConnector(FakeConnector):
    """Writes without comparing ``old``: a person's concurrent edit is overwritten."""

    async def update(self, ref: ExternalRef, changes: FieldChanges) -> RemoteVersion:
        blind = [c.model_copy(update={"old": None}) for c in changes.changes]
        record = self.remote.update(ref.remote_id, {c.field: c.new for c in blind})
        return RemoteVersion(version=str(record.version), updated_at=record.updated_at)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("connector_class", "check"),
    [
        (OffsetPagingConnector, ConnectorConformance.test_paging_while_records_change),
        (BlindUpdateConnector, ConnectorConformance.test_update_refuses_a_stale_base),
    ],
)
async def test_the_suite_catches_a_broken_connector(
    connector_class: type[FakeConnector], check: Callable[..., Awaitable[None]]
) -> None:
    async with build_target(connector_class) as target:
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            await check(ConnectorConformance(), target)
