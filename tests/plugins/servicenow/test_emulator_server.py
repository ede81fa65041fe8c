"""The emulator served by uvicorn on a real socket: paging and a dropped connection."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from itsmhub.emulation import Fault, serve
from itsmhub_servicenow.emulator import Instance, build_app, seed_instance


@pytest.fixture
def served() -> Iterator[tuple[str, Instance]]:
    """Serve a seeded instance on 127.0.0.1, on a socket bound before the server starts."""
    instance = Instance()
    seed_instance(instance, 5, incidents=25)
    with serve(build_app(instance)) as url:
        yield url, instance


def test_served_paging_and_dropped_connection(served: tuple[str, Instance]) -> None:
    url, instance = served
    with httpx.Client(base_url=url, auth=("admin", "admin"), timeout=10) as client:
        page = client.get("/api/now/table/incident", params={"sysparm_limit": "10"})
        assert page.status_code == 200 and page.headers["X-Total-Count"] == "25"
        assert 'rel="next"' in page.headers["Link"]
        instance.controls.faults.inject(Fault(drop=True))
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/now/table/incident")
        assert client.get("/api/now/table/incident").status_code == 200
