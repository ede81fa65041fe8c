"""Connection checks made of reads: what ``itsmhub connectors check`` reports.

A connector's ``check`` lists the reads it needs (one item of each list, table or
endpoint) and :func:`check_reads` makes them in order and says, in plain words, what
each answer proves: any answer but a 401 proves the credentials and the network path; a
refusal of one read names the role or scope that read needs, and the other reads go on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from .errors import ConfigError, RecordError, TransientError
from .exchange import CheckItem, CheckResult


@dataclass(frozen=True)
class Probe:
    """One read a check makes: its name (``read incident``), the call, and the fix when
    the vendor refuses it (the role or scope it needs)."""

    name: str
    read: Callable[[], Awaitable[object]]
    denied_fix: str


async def check_reads(
    connector: str, probes: Sequence[Probe], *, address: str, network_fix: str
) -> CheckResult:
    """Make each read; one 401 or one unreachable answer ends the check (nothing else
    could work), a refused read is reported and the next one tried."""
    items: list[CheckItem] = []
    proved = False
    for probe in probes:
        try:
            await probe.read()
        except ConfigError as exc:
            items.append(CheckItem(name="auth", ok=False, detail=exc.detail, fix=exc.fix))
            break
        except TransientError as exc:
            items.append(CheckItem(name="reachability", ok=False, detail=str(exc), fix=network_fix))
            break
        except RecordError as exc:
            if not proved:
                items += _reached(address)
                proved = True
            items.append(
                CheckItem(name=probe.name, ok=False, detail=str(exc), fix=probe.denied_fix)
            )
            continue
        if not proved:
            items += _reached(address)
            proved = True
        items.append(CheckItem(name=probe.name, ok=True, detail="allowed"))
    return CheckResult(connector=connector, items=tuple(items))


def _reached(address: str) -> list[CheckItem]:
    return [
        CheckItem(name="auth", ok=True, detail="the vendor accepted the credentials"),
        CheckItem(name="reachability", ok=True, detail=address),
    ]


__all__ = ["Probe", "check_reads"]
