"""The report page and the live pages in a real headless Chromium: they render, the
charts are drawn, and nothing is fetched but the pages themselves."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from fakes.configs import TWO_TOOLS
from reports.browser import HOST, Answer, dump_dom, recording_proxy
from reports.history import T0, UNTIL, seed

from itsmhub.config import load_config
from itsmhub.engine import Hub
from itsmhub.plugins import Plugins
from itsmhub.reports import Dimension, build_report
from itsmhub.reports.html import plotly_version, render_page
from itsmhub.reports.web import create_app
from itsmhub.store import Store

#: Plotly draws each chart as SVG inside a div it marks ``js-plotly-plot``.
PLOT = re.compile(r'<div id="chart-(\w+)" class="chart js-plotly-plot"')


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'itsmhub.db'}"

    async def fill() -> None:
        async with await Store.open(url, clock=lambda: UNTIL) as store:
            await seed(store)
            # A rule opened P1 from C and G (the evidence /problems shows).
            await store.audit("rule.create_problem", record_id="P1", detail={"rule": "vpn"})

    anyio.run(fill)
    return url


def test_report_page_renders_offline(store_url: str, tmp_path: Path) -> None:
    async def make() -> str:
        async with await Store.open(store_url) as store:
            found = await build_report(
                store, since=T0, until=UNTIL, by=Dimension.CATEGORY, now=UNTIL
            )
        return render_page(found)

    page = anyio.run(make).encode()

    def answer(path: str) -> Answer:
        return (200, "text/html", page) if path == "/report.html" else (404, "text/plain", b"")

    with recording_proxy(answer) as (proxy, recorder):
        dom = dump_dom(f"{HOST}/report.html", proxy, tmp_path / "profile")
    assert sorted(PLOT.findall(dom)) == ["backlog", "trend"]
    assert dom.count('class="main-svg"') >= 2  # the charts' SVG, drawn by Plotly
    assert "problem fixed" in dom  # the fixed problems' markers have their legend entry
    assert "Incidents per week by category" in dom
    # The page and nothing else: no script, font or image from anywhere.
    assert recorder.page_requests == [f"GET {HOST}/report.html"]


class LiveApp:
    """The pages app as the daemon will run it: the store opened in the server's loop."""

    def __init__(self, url: str, config: Path, plugins: Plugins) -> None:
        self.url, self.config, self.plugins = url, config, plugins
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        store = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                store = await Store.open(self.url)
                config = load_config(self.config, self.plugins, resolve_secrets=False)
                hub = Hub(config=config, plugins=self.plugins, store=store, connectors={})
                self.app = create_app(hub, clock=lambda: UNTIL)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if store is not None:
                    await store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


@pytest.fixture
def live(store_url: str, tmp_path: Path, installed_plugins: Plugins) -> Iterator[str]:
    """The live pages served by uvicorn on 127.0.0.1 (bound before it starts)."""
    config = tmp_path / "config.toml"
    config.write_text(TWO_TOOLS.format(url=store_url))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    app = LiveApp(store_url, config, installed_plugins)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def test_live_pages_render_offline(live: str, tmp_path: Path) -> None:
    def answer(path: str) -> Answer:
        # The proxy hands the pages' requests on to the server (as a loopback peer).
        response = httpx.get(live + path, timeout=60)
        return response.status_code, response.headers["content-type"], response.content

    asset = f"/assets/plotly-{plotly_version()}.min.js"
    with recording_proxy(answer) as (proxy, recorder):
        report = dump_dom(f"{HOST}/report?since=2026-03-02&by=category", proxy, tmp_path / "p1")
        overview = dump_dom(f"{HOST}/", proxy, tmp_path / "p2")
        problems = dump_dom(f"{HOST}/problems", proxy, tmp_path / "p3")
    assert sorted(PLOT.findall(report)) == ["backlog", "trend"]
    assert report.count('class="main-svg"') >= 2
    assert 'id="connectors"' in overview
    assert "jira" in overview and "never" in overview  # no cycle has run yet
    # The problem a rule opened, with its evidence: C and G.
    row = problems[problems.index('id="rule-problems"') :]
    assert "P1" in row and "Mail and VPN" in row and "Mailbox full" in row
    assert recorder.page_requests == [
        f"GET {HOST}/report?since=2026-03-02&by=category",
        f"GET {HOST}{asset}",
        f"GET {HOST}/",
        f"GET {HOST}/problems",
    ]
