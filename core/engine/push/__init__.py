"""Pushing the outbox: each row is one write to one system, claimed, written, settled."""

from .pusher import CLAIM_BATCH, Pusher
from .settle import PushStats

__all__ = ["CLAIM_BATCH", "PushStats", "Pusher"]
