"""A real headless Chromium for page tests, behind a proxy that records every request.

Chromium is pointed at the proxy for every host, loopback included, so any request the
page makes — a CDN script, a font, a map tile — reaches the proxy and is recorded; only
the host the test serves answers. Nothing waits on real time: the proxy's socket is
bound and listening before Chromium starts, and Chromium's virtual time budget lets the
page's scripts run to completion without a sleep.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: The host pages are served under; it exists only inside the proxy.
HOST = "http://itsmhub.invalid"

#: Chromium's own services, which it calls whatever the page (updates, sign-in); the
#: exact hosts, so that a page's CDN, font or tile server is never taken for them.
BROWSER_SERVICES = frozenset(
    {"update.googleapis.com", "accounts.google.com", "clients2.google.com"}
)

#: (status, content type, body) for a path of HOST.
Answer = tuple[int, str, bytes]


@dataclass
class Recorder:
    answer: Callable[[str], Answer]
    requests: list[str] = field(default_factory=list)

    @property
    def page_requests(self) -> list[str]:
        """Every request but those of the browser's own services."""
        return [r for r in self.requests if _host(r) not in BROWSER_SERVICES]


def _host(request: str) -> str:
    target = request.split(" ", 1)[1]
    return urlsplit(target).hostname or target.rsplit(":", 1)[0]


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorder.requests.append(f"GET {self.path}")
            if self.path.startswith(HOST + "/"):
                status, kind, body = recorder.answer(self.path.removeprefix(HOST))
            else:
                status, kind, body = 502, "text/plain", b"not served in tests"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_CONNECT(self) -> None:
            recorder.requests.append(f"CONNECT {self.path}")
            self.send_error(502)

        do_POST = do_HEAD = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def recording_proxy(answer: Callable[[str], Answer]) -> Iterator[tuple[str, Recorder]]:
    """A proxy on 127.0.0.1 (its port bound before this yields) and what it recorded."""
    recorder = Recorder(answer)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def dump_dom(url: str, proxy: str, profile: Path) -> str:
    """The DOM of ``url`` after its scripts ran, from headless Chromium."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        # The browser's own traffic (updates, network time, metrics) would reach the
        # proxy too and be taken for the page's.
        "--disable-extensions",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--no-pings",
        "--enable-automation",
        "--metrics-recording-only",
        "--disable-breakpad",
        "--disable-component-extensions-with-background-pages",
        "--password-store=basic",
        "--use-mock-keychain",
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,"
        "Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
        f"--user-data-dir={profile}",
        f"--proxy-server={proxy}",
        # Chromium never proxies loopback by default; this takes that exception away.
        "--proxy-bypass-list=<-loopback>",
        "--virtual-time-budget=10000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
