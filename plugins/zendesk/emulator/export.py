"""The incremental exports: tickets by cursor, ticket events by time.

Both leave out what changed within the last minute (the account's ``Lag``, 60 seconds
unless a test changes it), so a cursor never passes a change still being written.
Tickets are ordered by (``generated_timestamp``, id) and the cursor is Zendesk's opaque
base64 of that pair; events are ordered by (second, id), and a page that ends inside a
second takes the rest of that second too, so ``end_time`` can start the next one.
"""

from __future__ import annotations

import base64
import binascii
import bisect
from dataclasses import dataclass
from datetime import UTC, datetime

from .state import Account, Audit, Ticket

#: The exports' embargo: nothing of the last minute (vendor-apis.md §4.3).
EMBARGO_SECONDS = 60.0
MAX_PER_PAGE = 1000


def encode_cursor(key: tuple[int, int]) -> str:
    """Zendesk's cursors decode to ``<timestamp>.0||<id>|``."""
    return base64.b64encode(f"{key[0]}.0||{key[1]}|".encode()).decode()


def decode_cursor(text: str) -> tuple[int, int] | None:
    try:
        stamp, _, rest = base64.b64decode(text, validate=True).decode().partition("||")
        return int(float(stamp)), int(rest.rstrip("|"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _horizon(account: Account, now: datetime) -> int:
    """The last second the exports show."""
    return int(now.timestamp() - account.controls.lag.seconds)


@dataclass
class TicketPage:
    tickets: list[Ticket]
    after: tuple[int, int]
    end_of_stream: bool


def ticket_page(
    account: Account,
    *,
    after: tuple[int, int] | None,
    start_time: int,
    per_page: int,
    now: datetime,
    exclude_deleted: bool = False,
) -> TicketPage:
    """Tickets after the cursor ``after`` (or from ``start_time``), oldest change first."""
    index = account.export_index
    horizon = _horizon(account, now)
    at = bisect.bisect_right(index, after) if after else bisect.bisect_left(index, (start_time, 0))
    last = after or (start_time, 0)
    found: list[Ticket] = []
    while at < len(index) and len(found) < per_page and index[at][0] <= horizon:
        ticket = account.tickets[index[at][1]]
        last, at = index[at], at + 1
        if not (exclude_deleted and ticket.deleted):
            found.append(ticket)
    ended = at >= len(index) or index[at][0] > horizon
    return TicketPage(found, last, ended)


@dataclass
class EventPage:
    audits: list[Audit]
    end_time: int
    end_of_stream: bool


def event_page(account: Account, *, start_time: int, per_page: int, now: datetime) -> EventPage:
    """Audits from ``start_time`` on; the page's last second is always complete."""
    audits = account.audits
    horizon = _horizon(account, now)
    at = bisect.bisect_left(audits, (start_time, 0), key=lambda a: a.export_key)
    found: list[Audit] = []
    while at < len(audits) and audits[at].timestamp <= horizon:
        if len(found) >= per_page and audits[at].timestamp != found[-1].timestamp:
            break
        found.append(audits[at])
        at += 1
    ended = at >= len(audits) or audits[at].timestamp > horizon
    end = found[-1].timestamp if found else start_time
    if found and not ended and end == start_time:
        end += 1  # a whole page in one second: the next starts after it, or it would loop
    return EventPage(found, end, ended)


def too_recent(account: Account, start_time: int, now: datetime) -> bool:
    """A start_time inside the embargo is refused."""
    return start_time > now.astimezone(UTC).timestamp() - account.controls.lag.seconds


__all__ = [
    "EMBARGO_SECONDS",
    "MAX_PER_PAGE",
    "EventPage",
    "TicketPage",
    "decode_cursor",
    "encode_cursor",
    "event_page",
    "ticket_page",
    "too_recent",
]
