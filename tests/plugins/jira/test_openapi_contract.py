"""Every operation the connector uses is answered by the emulator as Atlassian's own
description says, relaxations aside (each documented in the manifest)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import httpx
import pytest

from itsmhub.emulation import Fault
from itsmhub.testing.openapi import OpenAPIContract
from itsmhub_jira.adf import to_adf
from itsmhub_jira.emulator import Site, build_app

OPENAPI = Path(__file__).parents[3] / "plugins/jira/emulator/openapi"
MANIFEST = tomllib.loads((OPENAPI / "manifest.toml").read_text())
API = "/rest/api/3"


def template_of(method: str, path: str) -> str | None:
    """The manifest operation a concrete request is an instance of."""
    for operation in MANIFEST["operations"]:
        verb, _, pattern = operation.partition(" ")
        regex = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
        if verb == method and re.fullmatch(regex, path):
            return operation
    return None


def test_the_pruned_copy_names_its_source_and_every_relaxation() -> None:
    spec = OpenAPIContract.load(OPENAPI / MANIFEST["output"]).spec
    made = spec["x-itsmhub"]
    assert made["source"].endswith("jira-cloud-platform-v3.json")
    assert len(made["relaxations"]) == len(MANIFEST["relaxations"]) + 1  # + every_operation
    assert all(r["why"] for r in made["relaxations"])
    kept = {
        f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item if m != "parameters"
    }
    assert kept == set(MANIFEST["operations"])


@pytest.mark.anyio
async def test_every_operation_used_answers_as_described(site: Site) -> None:
    contract = OpenAPIContract.load(OPENAPI / MANIFEST["output"])
    transport = contract.checking(httpx.ASGITransport(app=build_app(site)))
    auth = httpx.BasicAuth("itsmhub@example.com", "jira-emulator-token")
    async with httpx.AsyncClient(
        transport=transport, base_url="https://acme.atlassian.net", auth=auth
    ) as api:
        await walk(api, site)
    covered = {template_of(*call.split(" ", 1)) for call in contract.checked}
    assert covered == set(MANIFEST["operations"]), set(MANIFEST["operations"]) - covered
    contract.raise_for_violations()


async def walk(api: httpx.AsyncClient, site: Site) -> None:
    """One call of each operation, as the connector makes them (and a refusal or two)."""
    me = (await api.get(f"{API}/myself")).json()
    fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Incident"}, "summary": "VPN"}
    one = (await api.post(f"{API}/issue", json={"fields": fields})).json()["key"]
    bulk = {
        "issueUpdates": [{"fields": {**fields, "issuetype": {"name": "Problem"}}}, {"fields": {}}]
    }
    two = (await api.post(f"{API}/issue/bulk", json=bulk)).json()["issues"][0]["key"]
    await api.post(f"{API}/issue/bulk", json={"issueUpdates": [{"fields": {}}]})
    jql = "project = OPS ORDER BY updated ASC, id ASC"
    page = (
        await api.post(
            f"{API}/search/jql",
            json={"jql": jql, "fields": ["*all"], "maxResults": 1, "properties": ["x"]},
        )
    ).json()
    await api.get(
        f"{API}/search/jql",
        params={
            "jql": jql,
            "nextPageToken": page["nextPageToken"],
            "fields": "*all",
            "maxResults": "1",
        },
    )
    await api.post(f"{API}/search/jql", json={"jql": "projet = OPS"})
    await api.post(f"{API}/search/approximate-count", json={"jql": "project = OPS"})
    await api.put(f"{API}/issue/{one}", json={"fields": {"summary": "VPN flaps"}})
    await api.put(
        f"{API}/issue/{one}", params={"returnIssue": "true"}, json={"fields": {"labels": ["x"]}}
    )
    await api.get(f"{API}/issue/{one}", params={"fields": "*all", "properties": "itsmhub"})
    await api.get(f"{API}/issue/NOPE-1")
    await api.get(f"{API}/issue/{one}/transitions", params={"expand": "transitions.fields"})
    await api.post(f"{API}/issue/{one}/transitions", json={"transition": {"id": "11"}})
    await api.get(f"{API}/issue/{one}/changelog")
    await api.put(f"{API}/issue/{one}/properties/itsmhub", json={"links": []})
    await api.put(f"{API}/issue/{one}/properties/itsmhub", json={"links": [1]})
    await api.get(f"{API}/issue/{one}/properties/itsmhub")
    note = (await api.post(f"{API}/issue/{one}/comment", json={"body": to_adf("hi")})).json()
    await api.put(f"{API}/issue/{one}/comment/{note['id']}", json={"body": to_adf("hello")})
    await api.get(f"{API}/issue/{one}/comment/{note['id']}")
    await api.get(f"{API}/issue/{one}/comment")
    remote = {"globalId": "g", "object": {"url": "https://x", "title": "X"}}
    await api.post(f"{API}/issue/{one}/remotelink", json=remote)
    made = (await api.post(f"{API}/issue/{one}/remotelink", json=remote)).json()
    await api.get(f"{API}/issue/{one}/remotelink")
    await api.get(f"{API}/issue/{one}/remotelink", params={"globalId": "g"})
    await api.delete(f"{API}/issue/{one}/remotelink/{made['id']}")
    await api.post(f"{API}/issue/{one}/remotelink", json=remote)
    await api.delete(f"{API}/issue/{one}/remotelink", params={"globalId": "g"})
    link = {
        "type": {"name": "Problem/Incident"},
        "inwardIssue": {"key": one},
        "outwardIssue": {"key": two},
    }
    await api.post(f"{API}/issueLink", json=link)
    link_id = site.links_of(site.issue(one))[0].id  # type: ignore[arg-type]
    await api.get(f"{API}/issueLink/{link_id}")
    await api.delete(f"{API}/issueLink/{link_id}")
    await api.get(f"{API}/issueLinkType")
    await api.get(f"{API}/user/bulk", params={"accountId": me["accountId"]})
    await api.get(f"{API}/user/search", params={"query": "itsmhub"})
    await api.get(f"{API}/field")
    await api.get(f"{API}/project/OPS")
    await api.get(
        f"{API}/mypermissions", params={"projectKey": "OPS", "permissions": "BROWSE_PROJECTS"}
    )
    site.controls.faults.inject(Fault(status=429))  # any operation may answer 429
    await api.get(f"{API}/issue/{one}")
