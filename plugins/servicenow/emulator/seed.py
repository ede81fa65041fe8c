"""Deterministic, realistic demo data: the same seed always gives the same instance."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

from .state import COLUMNS, NUMBERS, TIME_FORMAT, Instance, Row, priority_of

#: How far back seeded history reaches: tickets open over 60 days and change for up to 5.
HISTORY = timedelta(days=66)
PEOPLE = (
    ("abel.tuter", "Abel Tuter"),
    ("beth.anglin", "Beth Anglin"),
    ("david.loo", "David Loo"),
    ("fred.luddy", "Fred Luddy"),
    ("itil", "ITIL User"),
    ("bud.richman", "Bud Richman"),
    ("charlie.whitherspoon", "Charlie Whitherspoon"),
    ("don.goodliffe", "Don Goodliffe"),
)
GROUPS = ("Service Desk", "Network", "Hardware", "Software", "Database", "SAP Basis")
TOPICS = (
    ("VPN", "Network", ("VPN drops every few minutes", "Cannot connect to VPN from home")),
    ("Email", "Software", ("Outlook keeps asking for password", "Emails stuck in outbox")),
    ("Printer", "Hardware", ("Printer on floor 3 jams", "Cannot print to PRN-0421")),
    ("SAP", "SAP Basis", ("SAP GUI times out on login", "SAP report ZFI_01 is slow")),
    ("Database", "Database", ("Order DB replication lag", "Nightly backup job failed")),
    ("Laptop", "Hardware", ("Laptop battery swells", "Docking station not detected")),
    ("Wi-Fi", "Network", ("Guest Wi-Fi portal unreachable", "Wi-Fi weak in meeting room B")),
)
#: The business service and configuration items of each topic (business_service, cmdb_ci).
SERVICES = {
    "VPN": ("Remote Access (VPN)", ("vpn-gw-01", "vpn-gw-02")),
    "Email": ("Email", ("exch-mbx-01", "exch-mbx-02")),
    "Printer": ("Printing", ("PRN-0421", "PRN-0307")),
    "SAP": ("SAP ERP", ("sap-app-01",)),
    "Database": ("Order Management", ("orderdb-01", "orderdb-02")),
    "Laptop": ("End User Computing", ("LT-0423", "LT-0871")),
    "Wi-Fi": ("Office Network", ("ap-floor3-02", "ap-room-b")),
}
INCIDENT_STATES = ("1", "1", "2", "2", "2", "3", "6", "7")
PROBLEM_STATES = ("101", "102", "103", "104", "106", "107")
ARTICLE_TABLE = "kb_template_known_error_article"
WORKAROUNDS = (
    "Restart the client and sign in again.",
    "Use the web version until the fix is deployed.",
    "Route the job through the secondary node.",
)
NOTES = (
    "Asked the user to restart and retry.",
    "Checked the logs, nothing obvious yet.",
    "Escalating to the second line.",
    "Workaround shared with the caller.",
    "Vendor ticket opened.",
)


def _sys_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _stamp(when: datetime) -> str:
    return when.strftime(TIME_FORMAT)


def _system(rng: random.Random, created: datetime, updated: datetime, by: str) -> Row:
    return {
        "sys_id": _sys_id(rng),
        "sys_created_on": _stamp(created),
        "sys_created_by": by,
        "sys_updated_on": _stamp(updated),
        "sys_updated_by": by,
        "sys_mod_count": str(rng.randint(0, 6)),
    }


def _fixed_sys_id(table: str, name: str) -> str:
    """A sys_id derived from the name: the CMDB is the same whatever the seed, and adding
    it draws nothing from the seed's random sequence (older seeds keep their data)."""
    return hashlib.sha256(f"{table}:{name}".encode()).hexdigest()[:32]


def _cmdb(epoch: datetime) -> tuple[list[Row], list[Row]]:
    """The business services and CIs the seeded tickets name."""
    stamp = _stamp(epoch)
    system = {
        "sys_created_on": stamp,
        "sys_created_by": "admin",
        "sys_updated_on": stamp,
        "sys_updated_by": "admin",
        "sys_mod_count": "0",
    }
    services = [
        {**system, "sys_id": _fixed_sys_id("cmdb_ci_service", name), "name": name,
         "operational_status": "1"}
        for name, _ in SERVICES.values()
    ]  # fmt: skip
    items = [
        {**system, "sys_id": _fixed_sys_id("cmdb_ci", ci), "name": ci,
         "sys_class_name": "cmdb_ci_hardware", "operational_status": "1"}
        for _, cis in SERVICES.values()
        for ci in cis
    ]  # fmt: skip
    return services, items


def seed_instance(instance: Instance, seed: int, *, incidents: int = 50) -> None:
    """Fill ``instance`` with users (names, e-mails), groups, business services and CIs,
    problems, incidents (callers, groups, services, CIs), their journals, and a Known
    Error article for each problem flagged known_error.

    History is dated relative to the instance's today (the last ~66 days), so a fresh
    instance shows in ``--since 90d``; the same seed gives the same data on the same day.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = instance.clock().astimezone(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    epoch = today - HISTORY
    users = [
        {
            **_system(rng, epoch, epoch, "admin"),
            "user_name": u,
            "name": n,
            "email": f"{u}@example.com",
            "active": "true",
            "sys_mod_count": "0",
        }
        for u, n in PEOPLE
    ]
    groups = {
        name: {**_system(rng, epoch, epoch, "admin"), "name": name, "active": "true"}
        for name in GROUPS
    }
    instance.load("sys_user", users)
    instance.load("sys_user_group", groups.values())
    services, items = _cmdb(epoch)
    instance.load("cmdb_ci_service", services)
    instance.load("cmdb_ci", items)
    problems = [
        _ticket(instance, rng, epoch, "problem", users, groups, rng.choice(PROBLEM_STATES))
        for _ in range(max(1, incidents // 10))
    ]
    for problem in problems:
        problem["known_error"] = "true" if problem["state"] in ("104", "106") else "false"
    instance.load("problem", problems)
    rows = []
    for _ in range(incidents):
        row = _ticket(instance, rng, epoch, "incident", users, groups, rng.choice(INCIDENT_STATES))
        row["caller_id"] = rng.choice(users)["sys_id"]
        row["incident_state"] = row["state"]
        if rng.random() < 0.3:
            row["problem_id"] = rng.choice(problems)["sys_id"]
        rows.append(row)
    instance.load("incident", rows)
    journal = []
    for table, row in [("problem", p) for p in problems] + [("incident", r) for r in rows]:
        for i in range(rng.randint(0, 3)):
            when = datetime.strptime(row["sys_created_on"], TIME_FORMAT) + timedelta(minutes=i + 1)
            journal.append(
                {
                    **_system(rng, when, when, "admin"),
                    "sys_mod_count": "0",
                    "element_id": row["sys_id"],
                    "element": rng.choice(("comments", "work_notes")),
                    "name": table,
                    "value": rng.choice(NOTES),
                    "sys_created_by": rng.choice(users)["user_name"],
                }
            )
    instance.load("sys_journal_field", journal)
    # Last, so the random draws above (and the data they make) are those of older seeds.
    instance.load(ARTICLE_TABLE, _articles(instance, rng, problems))


def _articles(instance: Instance, rng: random.Random, problems: list[Row]) -> list[Row]:
    """A Known Error article for each problem flagged known_error, pointing back at it."""
    rows = []
    for problem in problems:
        if problem["known_error"] != "true":
            continue
        prefix, _ = NUMBERS[ARTICLE_TABLE]
        created = datetime.strptime(problem["sys_updated_on"], TIME_FORMAT)
        workaround = rng.choice(WORKAROUNDS)
        row: Row = dict.fromkeys(COLUMNS[ARTICLE_TABLE], "")
        row.update(_system(rng, created, created, problem["sys_updated_by"]))
        row.update(
            number=f"{prefix}{instance.counters[ARTICLE_TABLE]:07d}",
            short_description=problem["short_description"],
            description=problem["description"],
            workaround=workaround,
            cause="Under investigation by the problem manager.",
            text=f"<p>{problem['description']}</p><h3>Workaround</h3><p>{workaround}</p>",
            workflow_state="published",
            published=created.strftime("%Y-%m-%d"),
            source_task=problem["sys_id"],
        )
        instance.counters[ARTICLE_TABLE] += 1
        rows.append(row)
    return rows


def _ticket(
    instance: Instance,
    rng: random.Random,
    epoch: datetime,
    table: str,
    users: list[Row],
    groups: dict[str, Row],
    state: str,
) -> Row:
    topic, group, texts = rng.choice(TOPICS)
    created = epoch + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
    updated = created + timedelta(minutes=rng.randint(0, 60 * 24 * 5))
    impact, urgency = str(rng.randint(1, 3)), str(rng.randint(1, 3))
    prefix, _ = NUMBERS[table]
    row: Row = dict.fromkeys(COLUMNS[table], "")
    row.update(_system(rng, created, updated, rng.choice(users)["user_name"]))
    closed = state in ("6", "7", "8", "106", "107")
    row.update(
        number=f"{prefix}{instance.counters[table]:07d}",
        short_description=rng.choice(texts),
        description=f"{topic}: reported by a user, see the work notes.",
        category=topic.lower(),
        state=state,
        impact=impact,
        urgency=urgency,
        priority=priority_of(impact, urgency),
        active="false" if closed else "true",
        assigned_to=rng.choice(users)["sys_id"] if state not in ("1", "101") else "",
        assignment_group=groups[group]["sys_id"],
        opened_at=_stamp(created),
        opened_by=rng.choice(users)["sys_id"],
        resolved_at=_stamp(updated) if closed else "",
    )
    service, cis = SERVICES[topic]
    row["business_service"] = _fixed_sys_id("cmdb_ci_service", service)
    ci = cis[int(row["sys_id"], 16) % len(cis)]  # from the row, not from a new draw
    row["cmdb_ci"] = _fixed_sys_id("cmdb_ci", ci)
    instance.counters[table] += 1
    return row
