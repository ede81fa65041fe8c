"""``itsmhub people show|list``: the people and devices the directory (Okta) brought into
the hub, and the open incidents about each person in every connected system."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..model import RecordKind
from .context import AdminHub, iso, run_admin
from .main import cli, handle_errors
from .output import print_json, print_table
from .render import cut, human

if TYPE_CHECKING:
    from ..model import Device, ExternalRef, Person
    from ..store import Store

JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@cli.group("people")
def people_group() -> None:
    """People and their devices, from the directory (Okta), and what they reported."""


@people_group.command("show")
@click.argument("ident", metavar="EMAIL")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=1), help="Incidents at most."
)
@JSON
@click.pass_context
@handle_errors
def show_command(ctx: click.Context, ident: str, limit: int, as_json: bool) -> None:
    """Show a person: login, name, department, title, manager, groups, their accounts in
    every system; their devices; and their open incidents in every connected system.

    EMAIL is an e-mail address or login (any case), or a hub id. Exits 1 if the hub knows
    no such person.
    """
    report = run_admin(ctx, lambda hub: person_report(hub, ident, limit))
    if as_json:
        print_json(report)
    else:
        _print_person(report)


@people_group.command("list")
@click.option("--department", metavar="NAME", help="Only this department (any case).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@JSON
@click.pass_context
@handle_errors
def list_command(ctx: click.Context, department: str | None, limit: int, as_json: bool) -> None:
    """List people by name, with their department, devices and open incidents."""

    async def work(hub: AdminHub) -> list[dict[str, Any]]:
        store = hub.store
        if store is None:
            return []
        people = await store.list_people(department=department, limit=limit + 1)
        devices = await store.devices_used_by([p.id for p in people])
        counts = await store.open_ticket_counts(people)
        return [
            {
                **_person_summary(p),
                "devices": len(devices.get(p.id, [])),
                "open_incidents": counts.get(p.id, 0),
            }
            for p in people
        ]

    found = run_admin(ctx, work)
    rows, truncated = found[:limit], len(found) > limit
    if as_json:
        print_json({"people": rows, "truncated": truncated, "limit": limit})
        return
    if not rows:
        click.echo("nobody matches" if department else "no people yet: sync a directory (okta)")
        return
    more = "; --limit for more" if truncated else ""
    print_table(
        f"people ({len(rows)}{more})",
        ["name", "e-mail", "department", "title", "active", "devices", "open incidents"],
        [
            (
                p["display_name"],
                p["email"] or p["login"] or "-",
                p["department"] or "-",
                p["title"] or "-",
                human(p["active"]),
                p["devices"],
                p["open_incidents"],
            )
            for p in rows
        ],
    )


async def person_report(hub: AdminHub, ident: str, limit: int) -> dict[str, Any]:
    """Everything ``people show`` prints, as data; NotFound for a person nobody knows."""
    from ..store import NotFound

    store = hub.store
    person = await store.find_person(ident) if store is not None else None
    if person is None:
        where = f"in the store at {hub.store_url}" if store else "(the store has no data yet)"
        raise NotFound(
            f"no person {ident!r} {where}",
            fix="give an e-mail address, a login or a hub id; people come from a directory "
            "connector: `itsmhub backfill --connector okta --since 2000-01-01` loads them",
        )
    assert store is not None
    manager_id = next((k.target_id for k in person.links if k.kind.value == "managed_by"), None)
    manager = await store.find_person(manager_id) if manager_id else None
    devices = (await store.devices_used_by([person.id])).get(person.id, [])
    incidents = await store.tickets_about(
        person, open_only=True, kinds=[RecordKind.INCIDENT], limit=limit + 1
    )
    return {
        **_person_summary(person),
        "groups": list(person.groups),
        "manager": _person_summary(manager) if manager else None,
        "refs": [_ref(ref) for ref in person.refs],
        "accounts": [_ref(ref) for ref in await _accounts(store, person)],
        "devices": [_device(d) for d in devices],
        "open_incidents": [
            {
                "id": t.record_id,
                "title": t.title,
                "status": t.status,
                "opened_at": iso(t.opened_at),
                "filed_in": t.origin,
                "keys": [{"system": r.system, "key": r.key or r.remote_id} for r in t.refs],
            }
            for t in incidents[:limit]
        ],
        "truncated": len(incidents) > limit,
    }


async def _accounts(store: Store, person: Person) -> list[ExternalRef]:
    """The person's accounts in the ticketing tools, as their tickets name them (a
    ServiceNow sys_user, a Jira accountId), one per system."""
    tickets = await store.tickets_about(person, open_only=False, limit=200)
    loaded = await store.load_records([t.record_id for t in tickets])
    found: dict[str, ExternalRef] = {}
    for ticket in tickets:
        reporter = getattr(loaded[ticket.record_id].record, "reporter", None)
        external = reporter.external if reporter is not None else None
        if external is not None:
            found.setdefault(external.system, external)
    return [found[system] for system in sorted(found)]


def _person_summary(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "display_name": person.display_name,
        "email": person.email,
        "login": person.login,
        "department": person.department,
        "title": person.title,
        "active": person.active,
    }


def _device(device: Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "name": device.name,
        "platform": device.platform,
        "serial_number": device.serial_number,
        "os_version": device.os_version,
        "status": device.status,
        "active": device.active,
        "refs": [_ref(ref) for ref in device.refs],
    }


def _ref(ref: ExternalRef) -> dict[str, Any]:
    return {
        "system": ref.system,
        "remote_id": ref.remote_id,
        "key": ref.key,
        "type": ref.remote_type,
        "url": ref.url,
    }


def _print_person(report: dict[str, Any]) -> None:
    who = human({"display_name": report["display_name"], "email": report["email"]})
    click.echo(f"{who}{'' if report['active'] else ' (deactivated)'}")
    manager = report["manager"]
    for name, value in (
        ("hub id", report["id"]),
        ("login", report["login"]),
        ("department", report["department"]),
        ("title", report["title"]),
        ("manager", human({"display_name": manager["display_name"], "email": manager["email"]})
         if manager else None),
        ("groups", report["groups"]),
    ):  # fmt: skip
        click.echo(f"  {name}: {human(value)}")
    refs = report["refs"] + report["accounts"]
    _table(
        "accounts",
        ["system", "type", "key", "id"],
        [(r["system"], r["type"] or "-", r["key"] or "-", r["remote_id"]) for r in refs],
    )
    _table(
        "devices",
        ["name", "platform", "serial number", "os", "status"],
        [
            (d["name"], d["platform"], d["serial_number"], d["os_version"], d["status"])
            for d in report["devices"]
        ],
    )
    incidents = report["open_incidents"]
    more = " (first ones; --limit for more)" if report["truncated"] else ""
    _table(
        f"open incidents{more}",
        ["opened", "status", "filed in", "keys", "title"],
        [
            (
                t["opened_at"],
                t["status"],
                t["filed_in"] or "-",
                ", ".join(f"{k['system']} {k['key']}" for k in t["keys"]),
                cut(t["title"], 60),
            )
            for t in incidents
        ],
    )


def _table(title: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    if rows:
        print_table(title, columns, [tuple("-" if c is None else c for c in r) for r in rows])
    else:
        click.echo(f"{title}: none")
