"""Statuses move through the project's workflow: the transition that reaches the status
a neutral status is written as (``GET``/``POST …/transitions``), with the resolution its
screen asks for. A new issue starts in its workflow's first status; one created already
further along (a resolved incident copied from another system) may pass through one
status on the way, taken in the neutral lifecycle's order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from itsmhub import (
    AnyRecord,
    ExternalRef,
    RecordError,
    RecordKind,
    RemoteChange,
    ResolutionCode,
)

from .payload import jira_status
from .target import STATUS_TYPES

if TYPE_CHECKING:
    from .connector import JiraConnector

Transition = dict[str, Any]


def resolution_for(
    kind: RecordKind, status: JsonValue, values: Mapping[str, JsonValue]
) -> ResolutionCode:
    """The resolution a transition's screen gets: the record's, else what its status
    says (a known error ends fixed or retired; the others default to fixed)."""
    if kind is RecordKind.KNOWN_ERROR:
        return ResolutionCode.FIXED if status == "fixed" else ResolutionCode.CANCELED
    if status == "canceled":
        return ResolutionCode.CANCELED
    return ResolutionCode(str(values.get("resolution_code") or ResolutionCode.FIXED.value))


def _reaching(transitions: list[Transition], status: str) -> Transition | None:
    found = [t for t in transitions if (t.get("to") or {}).get("name") == status]
    usable = [t for t in found if t.get("isAvailable", True)] or found
    return usable[0] if usable else None


class WorkflowMoves:
    """Status changes for :class:`JiraConnector`."""

    async def _settle_status(self: JiraConnector, change: RemoteChange, record: AnyRecord) -> None:
        """Move a new issue from its workflow's first status to the record's."""
        status = getattr(record, "status", None)
        if status is None or change.record is None:
            return
        if jira_status(self.target, record.kind, status) != self.initial_status(record.kind):
            values = self._values(record)
            await self._move(change.record.refs[0], record.kind, status, values, current=None)

    async def _move(
        self: JiraConnector,
        ref: ExternalRef,
        kind: RecordKind,
        status: JsonValue,
        values: Mapping[str, JsonValue],
        *,
        current: str | None,
    ) -> bool:
        """Take the transition reaching the status ``status`` is written as. A new issue
        (``current`` None) may go through one earlier status of the lifecycle first.
        Returns whether a transition's screen set the resolution."""
        wanted = jira_status(self.target, kind, status)
        transitions = await self.client.transitions(ref.remote_id)
        step = _reaching(transitions, wanted)
        resolved = False
        if step is None and current is None:
            for between in self._on_the_way(kind, status, wanted):
                via = _reaching(transitions, between)
                if via is not None:
                    resolved = await self._take(ref, via, kind, status, values)
                    transitions = await self.client.transitions(ref.remote_id)
                    step, current = _reaching(transitions, wanted), between
                    break
        if step is None:
            raise self._no_way(ref, kind, status, wanted, current, transitions)
        return await self._take(ref, step, kind, status, values) or resolved

    def _on_the_way(
        self: JiraConnector, kind: RecordKind, status: JsonValue, wanted: str
    ) -> list[str]:
        """Jira statuses of the neutral statuses before ``status``, nearest first."""
        lifecycle = list(STATUS_TYPES[kind])
        names = [s.value for s in lifecycle]
        before = names[: names.index(str(status))] if str(status) in names else []
        found = [jira_status(self.target, kind, s) for s in reversed(before)]
        return [name for name in dict.fromkeys(found) if name != wanted]

    async def _take(
        self: JiraConnector,
        ref: ExternalRef,
        transition: Transition,
        kind: RecordKind,
        status: JsonValue,
        values: Mapping[str, JsonValue],
    ) -> bool:
        body: dict[str, Any] = {"transition": {"id": str(transition.get("id"))}}
        screen = transition.get("fields")
        asks = isinstance(screen, dict) and "resolution" in screen
        if asks:
            code = resolution_for(kind, status, values)
            body["fields"] = {"resolution": {"name": self.jira_settings.mapping.resolutions[code]}}
        await self.client.transition(ref.remote_id, body)
        return asks

    def _no_way(
        self: JiraConnector,
        ref: ExternalRef,
        kind: RecordKind,
        status: JsonValue,
        wanted: str,
        current: str | None,
        transitions: list[Transition],
    ) -> RecordError:
        offered = "; ".join(
            f"{t.get('name')} → {(t.get('to') or {}).get('name')}" for t in transitions
        )
        return RecordError(
            f"{ref.key or ref.remote_id}: Jira's workflow has no transition from "
            f"{current or 'its current status'} to {wanted!r} (it offers: {offered or 'none'})",
            remote_id=ref.remote_id,
            fix=f"add a transition to {wanted!r} in the project's workflow, or map {kind.value} "
            f"status {status} to a status the workflow reaches under "
            f"[connectors.{self.name}.mapping.statuses.{kind.value}]",
        )


__all__ = ["WorkflowMoves", "resolution_for"]
