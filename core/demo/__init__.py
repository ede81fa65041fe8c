"""``itsmhub demo``: the whole story on one machine, in about a minute.

Four emulators on loopback (ServiceNow, Jira, Zendesk, Okta) hold five weeks of a
company's tickets; the hub runs against them with ``config.example.toml`` and the demo
prints each step: the links it finds across tools, the problem it opens for a failure
that recurs on Fridays, the ranked problem candidates, and the known error's workaround
reaching a new ticket. ``tests/demo/test_demo.py`` runs it end to end.
"""

from .runner import Outcome, run_demo

__all__ = ["Outcome", "run_demo"]
