"""The connector conformance suite, for in-tree and third-party plugins alike.

Subclass :class:`ConnectorConformance` in a test module (named ``Test…``) and give it a
``conformance_target`` fixture yielding your :class:`ConformanceTarget`: a connector built
against your emulator, plus the few things a person does in the remote tool::

    from itsmhub.testing import ConformanceTarget, ConnectorConformance

    class AcmeTarget(ConformanceTarget):
        async def edit_remote(self, ref, **fields): emulator.edit(ref.remote_id, **fields)
        # ... comment_remote, remote_comment_texts, inject_rate_limit,
        # lose_next_create_response: see ConformanceTarget

    class TestAcmeConformance(ConnectorConformance):
        @pytest.fixture
        async def conformance_target(self, recording_sleep):
            async with AcmeConnector("acme", settings, context, sleep=recording_sleep) as c:
                yield AcmeTarget(c, page_size=3, sleep=recording_sleep)

The suite picks its checks by the connector's capabilities (a read-only source skips the
writing ones) and calls :meth:`ConformanceTarget.settle` where an emulator modelling
search lag or asynchronous jobs must catch up. Installing itsmhub registers its pytest
plugin (``pytest11``), which brings the ``recording_sleep`` and ``served_emulator``
fixtures; anyio's pytest plugin (installed with anyio) runs the checks.
"""

from itsmhub.emulation import serve

from .suite import ConnectorConformance
from .target import ConformanceTarget, RecordingSleep

__all__ = ["ConformanceTarget", "ConnectorConformance", "RecordingSleep", "serve"]
