"""The Okta enricher: patches for a batch of tickets, from batched and cached look-ups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import pytest
from pydantic import JsonValue

from itsmhub import (
    Enrichment,
    EnrichmentContext,
    ExternalRef,
    Incident,
    Person,
    PersonRef,
    TransientError,
)
from itsmhub.emulation import Fault
from itsmhub_okta.emulator import Org, add_new_hire, seed_org
from itsmhub_okta.enricher import OktaEnricher

pytestmark = pytest.mark.anyio


class MemoryCache:
    """The LookupCache protocol in memory (the hub's is in the state store): an entry put
    with no time to live is gone for readers, as in the store."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], JsonValue] = {}
        self.ttls: set[timedelta] = set()

    async def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, JsonValue]:
        return {k: self.values[(namespace, k)] for k in keys if (namespace, k) in self.values}

    async def put_many(
        self, namespace: str, values: Mapping[str, JsonValue], ttl: timedelta
    ) -> None:
        self.ttls.add(ttl)
        for key, value in values.items():
            if ttl > timedelta(0):
                self.values[(namespace, key)] = value
            else:
                self.values.pop((namespace, key), None)


class Directory:
    """Hub ids of the okta connector's records: ``hub-<remote id>`` for those known."""

    def __init__(self, known: set[str]) -> None:
        self.known = known

    async def records_of(self, system: str, remote_ids: Sequence[str]) -> dict[str, str]:
        assert system == "okta"
        return {r: f"hub-{r}" for r in remote_ids if r in self.known}


def ticket(email: str | None = None, *, assignee: str | None = None, fallback: str | None = None):
    return Incident(
        title="VPN drops",
        reporter=PersonRef(email=email) if email else None,
        assignee=PersonRef(email=assignee) if assignee else None,
        enrichment=Enrichment(reporter_email=fallback),
    )


def calls(org: Org) -> int:
    return sum(org.controls.calls.values())


async def test_a_batch_is_enriched_and_a_warm_cache_asks_okta_nothing(org: Org, connect) -> None:
    people = seed_org(org, 4, people=20)
    hire = add_new_hire(org, "Nia", "Newhire", manager_login=people[1]["profile"]["login"])
    cache = MemoryCache()
    directory = Directory(set(org.users) | set(org.devices))
    context = EnrichmentContext(cache=cache, directory=directory, clock=org.clock)
    agent = people[2]["profile"]["email"]
    records = [
        ticket(hire.user["profile"]["email"].upper(), assignee=agent),
        ticket(fallback=hire.user["profile"]["email"]),  # named by a vendor id only
        ticket("stranger@elsewhere.example"),
        ticket(),
    ]
    async with connect(cache_ttl="1h") as connector:
        org.controls.calls.clear()
        patches = await OktaEnricher(connector, context).enrich(records)
        cold = calls(org)
        org.controls.calls.clear()
        again = await OktaEnricher(connector, context).enrich(records)
        assert calls(org) == 0
    assert again == patches
    assert [p.record_id for p in patches] == [records[0].id, records[1].id]
    fields = patches[0].fields
    manager = people[1]["id"]
    assert fields["reporter_id"] == f"hub-{hire.user['id']}"
    assert fields["assignee_id"] == f"hub-{people[2]['id']}"
    assert (fields["department"], fields["title"]) == ("Engineering", "Software Engineer")
    assert fields["manager_id"] == f"hub-{manager}"
    assert fields["groups"] == ["Everyone"]
    assert fields["device_ids"] == [f"hub-{hire.laptop['id']}"]
    assert fields["sources"] == ["okta:okta"]
    assert "assignee_id" not in patches[1].fields
    # one user search, one group sweep (1 + a call per group), one device sweep
    assert cold == 1 + 1 + len(org.groups) + 1
    assert cache.ttls == {timedelta(hours=1)}


async def test_people_the_directory_changed_are_looked_up_afresh(org: Org, connect) -> None:
    """After ``forget``: the moved person's profile is searched again, their groups come
    from the directory record, their devices are read for them alone (one call each)."""
    people = seed_org(org, 4, people=12)
    ada = next(p for p in people if p["status"] == "ACTIVE" and p["profile"].get("managerId"))
    cache = MemoryCache()
    context = EnrichmentContext(cache=cache, directory=Directory(set()), clock=org.clock)
    records = [ticket(ada["profile"]["email"])]
    async with connect() as connector:
        enricher = OktaEnricher(connector, context)
        [before] = await enricher.enrich(records)
        org.update_user(ada["id"], department="Finance", title="Controller")
        phone = org.add_device("Ada's Pixel", platform="ANDROID", users=[ada["id"]])
        groups = ["Everyone", "Finance"]
        person = Person(
            display_name="Ada",
            email=ada["profile"]["email"],
            login=ada["profile"]["login"],
            groups=groups,
            refs=[ExternalRef(system="okta", remote_id=ada["id"])],
        )
        await enricher.forget([person])
        org.controls.calls.clear()
        [after] = await enricher.enrich(records)
    assert before.fields["department"] != "Finance"
    assert (after.fields["department"], after.fields["title"]) == ("Finance", "Controller")
    assert after.fields["groups"] == groups
    assert phone["id"] in (await cache.get_many("okta:devices-of", [ada["id"]]))[ada["id"]]
    assert sorted(org.controls.calls) == [
        "GET /api/v1/users",
        f"GET /api/v1/users/{ada['id']}/devices",
    ]


async def test_a_device_named_by_its_serial_number_is_the_ticket_s_device(
    org: Org, connect
) -> None:
    people = seed_org(org, 5, people=6)
    laptop = next(iter(org.devices.values()))
    serial = laptop["profile"]["serialNumber"]
    context = EnrichmentContext(
        cache=MemoryCache(), directory=Directory(set(org.devices)), clock=org.clock
    )
    named = Incident(title=f"Battery swelling on {serial.lower()}", description="see photo")
    unnamed = Incident(title="Battery swelling on ABC1234XYZ")
    async with connect() as connector:
        patches = await OktaEnricher(connector, context).enrich([named, unnamed])
    [patch] = patches
    assert patch.record_id == named.id and patch.fields["device_id"] == f"hub-{laptop['id']}"
    assert f"device {serial} named in its text" in patch.reason and people


async def test_people_are_matched_by_login_when_no_email_matches(org: Org, connect) -> None:
    user = org.add_user("Lin", "Login", email="lin@mail.example", login="lin@corp.example")
    context = EnrichmentContext(cache=MemoryCache(), directory=Directory(set()), clock=org.clock)
    async with connect() as connector:
        [patch] = await OktaEnricher(connector, context).enrich([ticket("lin@corp.example")])
    assert "reporter_id" not in patch.fields  # not in the hub yet: left unsaid
    assert patch.fields["groups"] == [] and patch.fields["device_ids"] == []
    assert user["profile"]["login"] in patch.reason


async def test_a_failing_lookup_raises_a_transient_error_for_the_batch(
    org: Org, connect_unchecked
) -> None:
    org.add_user("Ada", "Lovelace", email="ada@acme.example")
    org.controls.faults.inject(Fault(status=503, path="/api/v1/users", times=10))
    cache = MemoryCache()
    context = EnrichmentContext(cache=cache, directory=Directory(set()), clock=org.clock)
    async with connect_unchecked() as connector:
        with pytest.raises(TransientError):
            await OktaEnricher(connector, context).enrich([ticket("ada@acme.example")])
    assert cache.values == {}  # nothing half-learned is kept
