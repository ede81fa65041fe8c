"""The wire limit of a backfill: the very requests a connector made, replayed with a bare
httpx client (fetch and JSON-parse, no mapping, no store), in the same order.

    recorder = Recorder()                       # give it to Hub.open(transports={...})
    ... run the backfill ...
    seconds = await replay(recorder.requests)   # the physical limit, measured now

Replaying sequentially measures what the vendor and the network cost; a backfill whose
wall time is close to it is bound by the vendor, not by the hub.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class Recorder(httpx.AsyncBaseTransport):
    """A transport that notes every request before sending it on."""

    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    requests: list[Sent] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.requests.append(Sent(request.method, str(request.url), request.headers.raw, body))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def replay(requests: list[Sent]) -> float:
    """Seconds to send ``requests`` one after the other and parse each JSON answer."""
    async with httpx.AsyncClient(timeout=300) as client:
        started = time.perf_counter()
        for sent in requests:
            answer = await client.request(
                sent.method, sent.url, headers=sent.headers, content=sent.body or None
            )
            answer.json()
        return time.perf_counter() - started
