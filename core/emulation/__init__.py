"""The emulator toolkit: what every plugin's vendor emulator shares.

An emulator is a Starlette app with the vendor's routes and in-memory state; this
package gives it the rest, so each plugin writes only what its vendor does differently:

- :class:`EmulatorClock`: real time, or set, frozen, advanced and ticking;
- :class:`Fault` / :class:`Faults`: failures aimed by method and path (an error status,
  a slow answer, a dropped connection, a lost response, a malformed body);
- :class:`RateLimitRule` / :class:`RateLimits`: N requests per window with the vendor's
  headers (``RateHeaders``);
- :class:`Lag`: writes seen by search only after a delay (an index lag, an embargo);
- :class:`OAuthServer`: a token endpoint for the client credentials, password and
  refresh token grants;
- :class:`Gate`: the ASGI middleware applying all of it, with the vendor's error body;
- :func:`admin_routes`: ``/_emulator/…`` to drive it over HTTP;
- :func:`serve`: an app on a loopback port bound before the server starts.

Plugins import it as ``itsmhub.emulation``; see ``docs/writing-a-plugin.md``.
"""

from .admin import admin_routes
from .clock import EmulatorClock
from .faults import MALFORMED_KINDS, DroppedConnection, Fault, Faults, Malformed, broken_body
from .gate import ADMIN_PREFIX, Authenticate, Controls, ErrorReply, Gate
from .lag import Lag
from .limits import (
    RateHeaders,
    RateLimitRule,
    RateLimits,
    RateWindow,
    Verdict,
    standard_headers,
)
from .oauth import OAuthServer, rfc6749_refusal
from .serving import bind, serve, url_of

__all__ = [
    "ADMIN_PREFIX",
    "MALFORMED_KINDS",
    "Authenticate",
    "Controls",
    "DroppedConnection",
    "EmulatorClock",
    "ErrorReply",
    "Fault",
    "Faults",
    "Gate",
    "Lag",
    "Malformed",
    "OAuthServer",
    "RateHeaders",
    "RateLimitRule",
    "RateLimits",
    "RateWindow",
    "Verdict",
    "admin_routes",
    "bind",
    "broken_body",
    "rfc6749_refusal",
    "serve",
    "standard_headers",
    "url_of",
]
