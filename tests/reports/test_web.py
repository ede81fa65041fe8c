"""The live pages' access rules and routes, in-process (peers chosen per client)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fakes.configs import TWO_TOOLS
from pydantic import SecretStr, ValidationError
from reports.history import UNTIL, seed

from itsmhub.config import load_config
from itsmhub.engine import Hub
from itsmhub.plugins import Plugins
from itsmhub.reports.auth import is_loopback
from itsmhub.reports.web import PagesSettings, create_app
from itsmhub.secrets import SecretRef
from itsmhub.store import Store

REMOTE = ("203.0.113.7", 50123)  # TEST-NET-3: a peer that is not loopback
LOCAL = ("127.0.0.1", 50123)


@pytest.fixture
async def hub(tmp_path: Path, installed_plugins: Plugins) -> AsyncIterator[Hub]:
    url = f"sqlite:///{tmp_path / 'itsmhub.db'}"
    path = tmp_path / "config.toml"
    path.write_text(TWO_TOOLS.format(url=url))
    config = load_config(path, installed_plugins, resolve_secrets=False)
    async with await Store.open(url, clock=lambda: UNTIL) as store:
        await seed(store)
        yield Hub(config=config, plugins=installed_plugins, store=store, connectors={})


def client(hub: Hub, peer: tuple[str, int], token: str | None = None) -> httpx.AsyncClient:
    app = create_app(hub, token=SecretStr(token) if token else None, clock=lambda: UNTIL)
    transport = httpx.ASGITransport(app=app, client=peer)
    return httpx.AsyncClient(transport=transport, base_url="http://pages")


@pytest.mark.anyio
async def test_remote_peer_without_token_gets_401(hub: Hub) -> None:
    async with client(hub, REMOTE) as remote:
        # No token configured: a remote peer is never served, whatever the bind address.
        response = await remote.get("/report")
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    async with client(hub, REMOTE, token="s3cret-token") as remote:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}):
            assert (await remote.get("/", headers=headers)).status_code == 401
        good = {"Authorization": "Bearer s3cret-token"}
        assert (await remote.get("/", headers=good)).status_code == 200


@pytest.mark.anyio
async def test_loopback_needs_the_token_once_one_is_set(hub: Hub) -> None:
    async with client(hub, LOCAL) as local:
        assert (await local.get("/")).status_code == 200
    async with client(hub, LOCAL, token="s3cret-token") as local:
        assert (await local.get("/")).status_code == 401


@pytest.mark.anyio
async def test_pages_only_read(hub: Hub) -> None:
    async with client(hub, LOCAL) as local:
        report = await local.get("/report.json", params={"since": "2026-03-02", "by": "service"})
        assert report.status_code == 200
        volume = next(f for f in report.json()["overall"]["incidents"] if f["key"] == "volume")
        assert volume["value"] == 5
        assert (await local.get("/report", params={"since": "soon"})).status_code == 400
        assert (await local.get("/report", params={"by": "colour"})).status_code == 400
        assert (await local.post("/report")).status_code == 405
        page = await local.get("/report")
        assert '<script src="assets/plotly-' in page.text  # the live page links the library


@pytest.mark.anyio
async def test_overview_shows_cycles_outbox_and_failures(hub: Hub) -> None:
    store = hub.store
    start = UNTIL - timedelta(minutes=20)
    await store.record_run(
        "jira",
        started_at=start,
        finished_at=start + timedelta(minutes=1),
        ok=True,
        caught_up_to=start - timedelta(minutes=5),
    )
    await store.record_run(
        "jira", started_at=start, finished_at=UNTIL, ok=False, error="401 from Jira: token"
    )
    async with client(hub, LOCAL) as local:
        page = (await local.get("/")).text
    row = page[page.index("<td>jira</td>") :]
    row = row[: row.index("</tr>")]
    assert "19m ago" in row  # the last good cycle ended 19 minutes before now
    assert "25m" in row  # it had caught up to 25 minutes before now
    assert "401 from Jira" in row


def test_settings_require_a_token_off_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PagesSettings().host == "127.0.0.1"
    with pytest.raises(ValidationError, match="need a token"):
        PagesSettings(host="0.0.0.0")
    settings = PagesSettings(host="0.0.0.0", token="env:PAGES_TOKEN")
    assert settings.token == SecretRef(scheme="env", target="PAGES_TOKEN")
    assert is_loopback("::1") and is_loopback("127.0.0.2") and not is_loopback("10.0.0.1")
