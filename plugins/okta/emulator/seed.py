"""Deterministic, realistic directory data, dated relative to the org's today: people in
departments with managers, groups, laptops and phones. The same seed gives the same org.

The demo's onboarding story is :func:`add_new_hire`: a person who started today, their
laptop, and the groups they should have been given.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .state import Org, Resource

DEPARTMENTS = {
    "Engineering": ("Software Engineer", "Site Reliability Engineer", "Engineering Manager"),
    "Finance": ("Accountant", "Financial Analyst", "Finance Manager"),
    "Sales": ("Account Executive", "Sales Engineer", "Sales Manager"),
    "Support": ("Support Agent", "Support Engineer", "Support Manager"),
    "People": ("Recruiter", "HR Partner", "People Manager"),
    "IT": ("IT Technician", "Systems Administrator", "IT Manager"),
}
FIRST = (
    "Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances",
    "Edsger", "Radia", "Tim", "Katherine", "John", "Hedy", "Vint", "Sophie", "Niklaus",
    "Joan", "Bjarne", "Anita", "Guido", "Jean", "Donald", "Mary", "Leslie", "Shafi", "Ivan",
)  # fmt: skip
LAST = (
    "Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
    "Allen", "Dijkstra", "Perlman", "Berners-Lee", "Johnson", "McCarthy", "Lamarr", "Cerf",
    "Wilson", "Wirth", "Clarke", "Stroustrup", "Borg", "van Rossum", "Bartik", "Knuth",
    "Keller", "Lamport", "Goldwasser", "Sutherland",
)  # fmt: skip
SHARED_GROUPS = ("Everyone", "VPN Users", "Laptop Owners")
LAPTOPS = (
    ("MACOS", "Apple", "MacBook Pro 14", "14.5"),
    ("WINDOWS", "Lenovo", "ThinkPad T14", "11 23H2"),
    ("WINDOWS", "Dell", "Latitude 7440", "11 23H2"),
)
PHONES = (("IOS", "Apple", "iPhone 15", "17.5"), ("ANDROID", "Google", "Pixel 8", "14"))
HISTORY = timedelta(days=400)


def _serial(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10))


def _group(org: Org, name: str) -> Resource:
    found = next((g for g in org.groups.values() if g["profile"]["name"] == name), None)
    return found or org.add_group(name, f"{name} (seeded)")


def seed_org(org: Org, seed: int, *, people: int = 40, devices: bool = True) -> list[Resource]:
    """Add ``people`` users in departments (each with a manager, the department's first
    person reporting to the CEO), their groups, and a laptop each (a phone for a third);
    a few people are deactivated. Returns the users added."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = org.clock().astimezone(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    used: set[str] = {u["profile"]["login"] for u in org.users.values()}

    def when() -> datetime:
        return (
            today - HISTORY + timedelta(minutes=rng.randint(0, int(HISTORY.total_seconds() // 60)))
        )

    def person(department: str, title: str, manager: Resource | None) -> Resource:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        base = f"{first}.{last}".lower().replace(" ", "").replace("-", "")
        login, n = f"{base}@acme.example", 1
        while login in used:  # namesakes get a number, as directories do
            n += 1
            login = f"{base}{n}@acme.example"
        used.add(login)
        return org.add_user(
            first,
            last,
            email=login,
            department=department,
            title=title,
            manager_id=manager["id"] if manager else None,
            employeeNumber=str(10000 + len(used)),
            when=when(),
        )

    for name in SHARED_GROUPS:
        _group(org, name)
    added: list[Resource] = []
    ceo = person("Executive", "Chief Executive Officer", None)
    added.append(ceo)
    heads: dict[str, Resource] = {}
    for n in range(max(people - 1, 0)):
        department = list(DEPARTMENTS)[n % len(DEPARTMENTS)]
        titles = DEPARTMENTS[department]
        head = heads.get(department)
        user = person(
            department, titles[2] if head is None else rng.choice(titles[:2]), head or ceo
        )
        heads.setdefault(department, user)
        added.append(user)
    for user in added:
        department = user["profile"]["department"]
        for name in ("Everyone", department, *(["VPN Users"] if rng.random() < 0.6 else [])):
            org.add_member(_group(org, name)["id"], user["id"])
        if devices:
            _devices_of(org, rng, user, when())
    for user in rng.sample(added[1:], k=min(len(added) - 1, max(1, people // 20))):
        org.set_user_status(user["id"], "DEPROVISIONED")
    return added


def _devices_of(org: Org, rng: random.Random, user: Resource, when: datetime) -> None:
    """A laptop for everyone, and a phone for about a third."""
    kinds = [rng.choice(LAPTOPS)] + ([rng.choice(PHONES)] if rng.random() < 1 / 3 else [])
    for platform, maker, model, os_version in kinds:
        org.add_device(
            f"{user['profile']['firstName']}'s {model}",
            platform=platform,
            serial_number=_serial(rng),
            manufacturer=maker,
            model=model,
            os_version=os_version,
            users=[user["id"]],
            when=when,
        )
    org.add_member(_group(org, "Laptop Owners")["id"], user["id"])


@dataclass(frozen=True)
class NewHire:
    """What :func:`add_new_hire` made: the person, their manager, their laptop."""

    user: Resource
    manager: Resource | None
    laptop: Resource


def add_new_hire(
    org: Org,
    first_name: str,
    last_name: str,
    *,
    department: str = "Engineering",
    title: str = "Software Engineer",
    manager_login: str | None = None,
    laptop_serial: str = "C02NEWHIRE1",
    groups: tuple[str, ...] = ("Everyone",),
) -> NewHire:
    """The onboarding story: a person who started today, with a laptop enrolled to them,
    in ``groups`` only (the story's failure: no VPN Users, no department group)."""
    manager = org.find_user(manager_login) if manager_login else None
    user = org.add_user(
        first_name,
        last_name,
        department=department,
        title=title,
        manager_id=manager["id"] if manager else None,
        status="ACTIVE",
    )
    for name in groups:
        org.add_member(_group(org, name)["id"], user["id"])
    laptop = org.add_device(
        f"{first_name}'s MacBook Pro 14",
        platform="MACOS",
        serial_number=laptop_serial,
        manufacturer="Apple",
        model="MacBook Pro 14",
        os_version="14.5",
        users=[user["id"]],
    )
    return NewHire(user=user, manager=manager, laptop=laptop)
