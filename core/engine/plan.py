"""``sync --plan``: what the next cycle would write, per record and system, writing nothing.

The plan runs the cycle itself on a rehearsal of the store (``Store.rehearsal``, always
rolled back): every connector's pulls, the hub's steps (enrichment, rules), then every
outbox through the real pusher, whose connectors are stand-ins (``standin.py``) that read
from the vendors and note each write instead of making it. What it lists is therefore
what the same code would write, rule proposals included; values only a vendor decides (a
new record's id and key, a default it fills in) show as placeholders. A connector that
cannot be read is reported, and the others are planned all the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import JsonValue

from ..errors import ItsmhubError
from ..rules.proposals import AnyProposal
from ..store import StoreTransaction
from .cycle import pull_order
from .fields import sync_fields
from .hub import Hub
from .pull import pull_stream
from .push import Pusher
from .standin import Notebook, NotedWrite, stand_in


@dataclass
class PlannedWrite:
    system: str
    record_id: str
    title: str
    operation: str
    fields: dict[str, dict[str, JsonValue]] = field(default_factory=dict)
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "record_id": self.record_id,
            "title": self.title,
            "operation": self.operation,
            "fields": self.fields,
            "detail": self.detail,
        }


@dataclass
class Plan:
    """What the next cycle would do: the writes per system, what the rules would propose
    (their writes are among ``writes``), and the connectors that could not be read."""

    writes: list[PlannedWrite] = field(default_factory=list)
    proposals: list[AnyProposal] = field(default_factory=list)
    rules_seen: int = 0
    unread: dict[str, str] = field(default_factory=dict)
    """Connector name → why its changes could not be read (the others were planned)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "writes": [w.as_dict() for w in self.writes],
            "rules": {
                "seen": self.rules_seen,
                "proposals": [p.model_dump(mode="json") for p in self.proposals],
            },
            "unread": dict(sorted(self.unread.items())),
        }


async def plan(hub: Hub, *, only: str | None = None) -> Plan:
    """Every write the next cycle would make, computed on a rehearsal of the store."""
    result = Plan()
    names = [hub.connector(only).name] if only else sorted(hub.connectors)
    notebook = Notebook(hub.clock)
    async with hub.store.rehearsal() as rehearsal:
        view = replace(
            hub,
            store=rehearsal,
            connectors={n: stand_in(c, notebook) for n, c in hub.connectors.items()},
            # Fresh steps: a warm rules session must not learn what is rolled back.
            steps=[type(step)() for step in hub.steps],
        )
        for name in pull_order(view, names):
            await _pull(view, name, result)
        if only is None:  # as in a real cycle: the steps run when every connector is pulled
            for step in view.steps:
                report = await step.run(view)
                if step.name == "rules":
                    result.proposals = list(getattr(report, "proposals", []))
                    result.rules_seen = getattr(report, "seen", 0)
        for name in sorted(view.connectors):
            await rehearsal.release_in_flight(name)
            await Pusher(view, name).run()
        for noted in notebook.writes:
            result.writes.append(await _describe(rehearsal, view, noted))
    return result


async def _pull(view: Hub, name: str, result: Plan) -> None:
    """Pull one connector into the rehearsal; a failure is noted, the plan goes on."""
    if not view.connector(name).can("pull"):
        result.unread[name] = f"the {view.connector(name).kind} connector cannot pull changes"
        return
    for stream in view.streams_of(name):
        try:
            await pull_stream(view, name, stream)
        except ItsmhubError as exc:
            result.unread[name] = f"pull {stream.name}: {exc}"
            return


async def _describe(store: StoreTransaction, hub: Hub, noted: NotedWrite) -> PlannedWrite:
    """A noted write as the admin reads it: the hub record, the fields, the detail."""
    record = noted.record
    if record is None and noted.ref is not None:
        record = await store.find_by_ref(noted.system, noted.ref.remote_id)
    title = str(getattr(record, "title", getattr(record, "display_name", ""))) if record else ""
    write = PlannedWrite(noted.system, record.id if record else "", title, noted.operation)
    if noted.operation == "create" and record is not None:
        fields = sync_fields(record, hub.fields_of(noted.system))
        write.fields = {n: {"new": v} for n, v in fields.items() if v not in (None, [], {}, "")}
        write.detail = "new copy"
    elif noted.changes is not None:
        write.fields = {c.field: {"old": c.old, "new": c.new} for c in noted.changes.changes}
    elif noted.comment is not None:
        write.detail = noted.comment.body[:80]
    elif noted.target is not None and noted.link_kind is not None:
        target = noted.target
        write.detail = (
            f"{noted.link_kind.value} → {target.key or target.remote_id} in {target.system}"
        )
    return write
