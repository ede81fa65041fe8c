"""``itsmhub records list|show``: the records the hub keeps, where each lives, what links
to what, and one record's history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..model import AnyRecordType, RecordKind
from .context import AdminHub, iso, run_admin, summarise
from .main import cli, handle_errors
from .output import print_json, print_table
from .render import cut, human
from .times import When, since_option

if TYPE_CHECKING:
    from ..store import Store, StoredRecord

#: Shown in their own lines or tables, not among the other fields.
_HEADLINE = ("id", "kind", "title", "status", "refs", "links", "comments")


@cli.group("records")
def records_group() -> None:
    """Look at the records the hub keeps."""


@records_group.command("list")
@click.option("--connector", metavar="NAME", help="Only records that live in this system.")
@click.option(
    "--kind", type=click.Choice([k.value for k in RecordKind]), help="Only this kind of record."
)
@click.option("--status", metavar="STATUS", help="Only this neutral status, e.g. in_progress.")
@since_option(help="Only records the hub stored (or changed) since then.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def list_command(
    ctx: click.Context,
    connector: str | None,
    kind: str | None,
    status: str | None,
    since: When | None,
    limit: int,
    as_json: bool,
) -> None:
    """List records, newest first, with their key in every system they live in."""
    from ..model import utcnow
    from .times import ALL

    start = None if since is None or since is ALL else since.resolve(utcnow())

    async def work(hub: AdminHub) -> list[Any]:
        if hub.store is None:
            return []
        return await hub.store.list_records(
            connector=connector,
            kind=RecordKind(kind) if kind else None,
            status=status,
            since=start,
            limit=limit + 1,  # one more tells whether the list was cut
        )

    found = run_admin(ctx, work)
    rows = [_summary(r) for r in found[:limit]]
    truncated = len(found) > limit
    if as_json:
        print_json({"records": rows, "truncated": truncated, "limit": limit})
        return
    if not rows:
        click.echo("no records match" if ctx.params else "no records yet")
        return
    systems = sorted({system for r in rows for system in r["refs"]})
    print_table(
        f"records ({len(rows)}{', newest first; --limit for more' if truncated else ''})",
        ["hub id", "kind", "status", "title", *systems],
        [
            (
                r["id"],
                r["kind"],
                r["status"] or "-",
                cut(r["title"] or "", 50),
                *(_key(r["refs"].get(system)) for system in systems),
            )
            for r in rows
        ],
    )


def _summary(record: Any) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind.value,
        "status": record.status,
        "title": record.title,
        "updated_at": iso(record.updated_at),
        "refs": {
            ref.system: {"key": ref.key, "remote_id": ref.remote_id, "url": ref.url}
            for ref in record.refs
        },
    }


def _key(ref: dict[str, Any] | None) -> str:
    return "-" if ref is None else str(ref["key"] or ref["remote_id"])


@records_group.command("show")
@click.argument("ident", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def show_command(ctx: click.Context, ident: str, as_json: bool) -> None:
    """Show a record: its fields, external refs, links (→ it holds, ← pointing at it),
    bases and audit trail.

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
        links.append(
            {
                **link.model_dump(mode="json"),
                "target_title": _title(target),
                "target_keys": _keys(target),
            }
        )
    linked_from = []
    for incoming in await store.links_to(record.id):
        source = await store.get_record(incoming.source_id)
        linked_from.append(
            {
                **incoming.model_dump(mode="json"),
                "source_title": _title(source),
                "source_keys": _keys(source),
            }
        )
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
        "linked_from": linked_from,
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


def _keys(record: AnyRecordType | None) -> list[str]:
    """``system KEY`` for every system a record lives in."""
    return [f"{r.system} {r.key or r.remote_id}" for r in record.refs] if record else []


def _print_report(report: dict[str, Any]) -> None:
    click.echo(f"{report['kind']} {report['id']} (version {report['version']})")
    click.echo(f"  title: {report['title']}")
    if report["status"] is not None:
        click.echo(f"  status: {report['status']}")
    fields = report["fields"]
    for name, value in fields.items():
        if value not in (None, "", [], {}):  # unset fields would only be noise
            click.echo(f"  {name}: {cut(_shown(name, value, fields), 100)}")
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
        ["", "kind", "record", "where", "title", "origin"],
        [_link_row("→", k, "target") for k in report["links"]]
        + [_link_row("←", k, "source") for k in report["linked_from"]],
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


def _shown(name: str, value: Any, fields: dict[str, Any]) -> str:
    """A field as people read it; a person the ticket names by account id only is shown
    with the e-mail address the hub resolved for them (``enrichment.<name>_email``)."""
    enrichment = fields.get("enrichment") or {}
    email = enrichment.get(f"{name}_email") if isinstance(enrichment, dict) else None
    if isinstance(value, dict) and email and not value.get("email"):
        return f"{email} ({human(value.get('external')) or 'account'})"
    return human(value)


def _link_row(arrow: str, link: dict[str, Any], end: str) -> tuple[str, ...]:
    """A link as a row: → for one this record holds, ← for one pointing at it."""
    return (
        arrow,
        link["kind"],
        link[f"{end}_id"],
        human(link[f"{end}_keys"]),
        link[f"{end}_title"] or "-",
        link["origin"] or "-",
    )


def _table(title: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    if rows:
        print_table(title, columns, rows)
    else:
        click.echo(f"{title}: none")
