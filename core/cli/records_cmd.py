"""``itsmhub records show``: one hub record, where it lives, what it links to, its history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..model import AnyRecordType
from .context import AdminHub, iso, run_admin, summarise
from .main import cli, handle_errors
from .output import print_json, print_table

if TYPE_CHECKING:
    from ..store import Store, StoredRecord

#: Shown in their own lines or tables, not among the other fields.
_HEADLINE = ("id", "kind", "title", "status", "refs", "links", "comments")


@cli.group("records")
def records_group() -> None:
    """Look at the records the hub keeps."""


@records_group.command("show")
@click.argument("ident", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def show_command(ctx: click.Context, ident: str, as_json: bool) -> None:
    """Show a record: its fields, external refs, links, bases and audit trail.

    ID is a hub id, or SYSTEM:KEY (jira:OPS-12) or SYSTEM:REMOTE_ID (servicenow:<sys_id>),
    where SYSTEM is a connector name from the config. Exits 1 if there is no such record.
    """
    report = run_admin(ctx, lambda hub: record_report(hub, ident))
    if as_json:
        print_json(report)
    else:
        _print_report(report)


async def resolve(store: Store, ident: str) -> StoredRecord | None:
    """The record ``ident`` names: a hub id, else ``SYSTEM:KEY``, else ``SYSTEM:REMOTE_ID``."""
    stored = await store.get_stored(ident)
    if stored is not None:
        return stored
    system, sep, rest = ident.partition(":")
    if not (sep and system and rest):
        return None
    # Keys first: admins quote OPS-12 far more often than Jira's numeric issue id.
    found = await store.find_by_key(system, rest) or await store.find_by_ref(system, rest)
    return await store.get_stored(found.id) if found else None


async def record_report(hub: AdminHub, ident: str) -> dict[str, Any]:
    """Everything ``itsmhub records show`` prints, as data; NotFound for an unknown id."""
    from ..store import NotFound

    store = hub.store
    stored = await resolve(store, ident) if store is not None else None
    if stored is None:
        where = f"in the store at {hub.store_url}" if store else "(the store has no data yet)"
        raise NotFound(
            f"no record {ident!r} {where}",
            fix="give a hub id, or SYSTEM:KEY such as jira:OPS-12, where SYSTEM is a "
            "connector name from the config",
        )
    assert store is not None  # stored came from it
    record = stored.record
    data = record.model_dump(mode="json", exclude={"refs", "links"})
    links = []
    for link in record.links:
        target = await store.get_record(link.target_id)
        links.append({**link.model_dump(mode="json"), "target_title": _title(target)})
    bases = []
    for ref in record.refs:
        base = await store.get_base(record.id, ref.system)
        if base is not None:
            bases.append(
                {
                    "system": base.system,
                    "remote_version": base.remote_version,
                    "remote_updated_at": iso(base.remote_updated_at),
                    "agreed_at": iso(base.agreed_at),
                    "fields": base.fields,
                }
            )
    audit = [
        {
            "id": entry.id,
            "at": iso(entry.at),
            "event": entry.event,
            "connector": entry.connector,
            "detail": entry.detail,
        }
        for entry in await store.audit_trail(record.id)
    ]
    return {
        "id": record.id,
        "kind": record.kind.value,
        "title": _title(record),
        "status": data.get("status"),
        "version": stored.version,
        "stored_at": iso(stored.created_at),
        "updated_at": iso(stored.updated_at),
        "fields": {k: v for k, v in data.items() if k not in _HEADLINE},
        "comments": data.get("comments", []),
        "refs": [ref.model_dump(mode="json") for ref in record.refs],
        "links": links,
        "bases": bases,
        "audit": audit,
    }


def _title(record: AnyRecordType | None) -> str | None:
    """What people call the record: a ticket's title, a person's or device's name."""
    if record is None:
        return None
    for name in ("title", "display_name", "name"):
        value = getattr(record, name, None)
        if isinstance(value, str):
            return value
    return None


def _print_report(report: dict[str, Any]) -> None:
    click.echo(f"{report['kind']} {report['id']} (version {report['version']})")
    click.echo(f"  title: {report['title']}")
    if report["status"] is not None:
        click.echo(f"  status: {report['status']}")
    for name, value in report["fields"].items():
        if value not in (None, "", [], {}):  # unset fields would only be noise
            click.echo(f"  {name}: {summarise(value, 100)}")
    if report["comments"]:
        click.echo(f"  comments: {len(report['comments'])}")
    click.echo(f"  stored: {report['stored_at']}, updated: {report['updated_at']}")
    _table(
        "external refs",
        ["system", "remote id", "key", "url"],
        [(r["system"], r["remote_id"], r["key"], r["url"]) for r in report["refs"]],
    )
    _table(
        "links",
        ["kind", "target", "title", "origin"],
        [(k["kind"], k["target_id"], k["target_title"], k["origin"]) for k in report["links"]],
    )
    _table(
        "bases",
        ["system", "remote version", "agreed at"],
        [(b["system"], b["remote_version"], b["agreed_at"]) for b in report["bases"]],
    )
    _table(
        "audit trail",
        ["at", "event", "connector", "detail"],
        [(a["at"], a["event"], a["connector"], summarise(a["detail"])) for a in report["audit"]],
    )


def _table(title: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    if rows:
        print_table(title, columns, rows)
    else:
        click.echo(f"{title}: none")
