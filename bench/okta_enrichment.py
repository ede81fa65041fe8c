"""Enriching tickets from Okta: 10,000 records reported by 2,000 distinct people, through
the real enricher against the served emulator. Prints the Okta API calls and the time
with a cold cache, then again with the warm cache (a restart: new enricher, same cache).

    .venv/bin/python bench/okta_enrichment.py 10000 2000

It runs twice: with an in-memory LookupCache (the enricher alone), then with the hub's
own, the state store (SQLite in a temporary folder; "warm" opens the store afresh, as a
restart does). The directory knows every Okta user and device, as after a directory
backfill. CPU time is this process's (the emulator runs in its own).
"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from okta_server import TOKEN, start


class MemoryCache:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], Any] = {}

    async def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Any]:
        return {k: self.values[(namespace, k)] for k in keys if (namespace, k) in self.values}

    async def put_many(self, namespace: str, values: Mapping[str, Any], ttl: timedelta) -> None:
        self.values.update({(namespace, k): v for k, v in values.items()})


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class EveryoneKnown:
    async def records_of(self, system: str, remote_ids: Sequence[str]) -> dict[str, str]:
        return {r: f"hub-{r}" for r in remote_ids}


async def emails(port: int) -> list[str]:
    import httpx

    out: list[str] = []
    url: str | None = f"http://127.0.0.1:{port}/api/v1/users?limit=200"
    async with httpx.AsyncClient(headers={"Authorization": f"SSWS {TOKEN}"}) as client:
        while url:
            response = await client.get(url)
            out += [u["profile"]["email"] for u in response.json()]
            url = response.links.get("next", {}).get("url")
    return out


def main(records: int, people: int) -> None:
    import anyio
    from pydantic import SecretStr

    from itsmhub import ConnectorContext, EnrichmentContext, HttpSettings, Incident, PersonRef
    from itsmhub_okta.connector import OktaConnector
    from itsmhub_okta.enricher import OktaEnricher
    from itsmhub_okta.settings import OktaSettings

    server, counter, port = start(people)
    settings = OktaSettings.model_validate(
        {
            "type": "okta",
            "org_url": f"http://127.0.0.1:{port}",
            "custom_domain": True,
            "auth": {"method": "api_token", "token": "env:T"},
            "rate_limits": {"users": 0, "user": 0, "groups": 0, "devices": 0, "logs": 0},
        },
        context={"config_dir": "."},
    )
    context = ConnectorContext(http=HttpSettings(), resolve_secret=lambda ref: SecretStr(TOKEN))

    async def enrich_all(enricher: OktaEnricher, tickets: list) -> int:
        patched = 0
        size = enricher.batch_size
        for start_at in range(0, len(tickets), size):
            patched += len(await enricher.enrich(tickets[start_at : start_at + size]))
        return patched

    async def run() -> list[tuple[str, int, float, float, int]]:
        from itsmhub.store import Store

        rows = []
        async with OktaConnector("okta", settings, context) as connector:
            while True:
                try:
                    await connector.check()
                    break
                except Exception:
                    await anyio.sleep(0.2)
            addresses = await emails(port)
            rng = random.Random(1)
            chosen = rng.sample(addresses, min(people, len(addresses)))
            tickets = [
                Incident(title=f"ticket {n}", reporter=PersonRef(email=rng.choice(chosen)))
                for n in range(records)
            ]
            memory = MemoryCache()
            folder = tempfile.mkdtemp()
            url = f"sqlite:///{folder}/bench.db"
            caches = [("memory", "cold", memory), ("memory", "warm", memory)]
            caches += [("store", "cold", None), ("store", "warm", None)]
            for where, label, cache in caches:
                store = await Store.open(url) if cache is None else None
                enrichment = EnrichmentContext(
                    cache=cache or store, directory=EveryoneKnown(), clock=context.clock
                )
                enricher = OktaEnricher(connector, enrichment)
                with counter.get_lock():
                    counter.value = 0
                started, used = time.perf_counter(), cpu()
                patched = await enrich_all(enricher, tickets)
                elapsed, used = time.perf_counter() - started, cpu() - used
                rows.append((f"{where} {label}", counter.value, elapsed, used, patched))
                if store is not None:
                    await store.close()
        return rows

    try:
        rows = anyio.run(run)
    finally:
        server.terminate()
    print(f"{records} records, {people} distinct people; load average {os.getloadavg()[0]:.1f}")
    header = ("cache", "API calls", "seconds", "CPU s", "records/s", "patched")
    print("{:>12} {:>10} {:>9} {:>7} {:>10} {:>8}".format(*header))
    for label, calls, elapsed, used, patched in rows:
        print(
            f"{label:>12} {calls:>10} {elapsed:>9.2f} {used:>7.2f} "
            f"{records / elapsed:>10.0f} {patched:>8}"
        )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [10_000, 2_000][len(args) :]))
