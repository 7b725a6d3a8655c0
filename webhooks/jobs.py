"""The rq jobs of webhooks: ids in, one call, done. Each is idempotent (rq runs jobs at least once)."""

from __future__ import annotations

from workers.context import current


def deliver(delivery_id: str) -> str:
    """Make one attempt at a webhook delivery (one that succeeded already is left alone)."""
    return current().webhooks.deliver(delivery_id)


def replay(replay_id: str) -> str:
    """Replay the next chunk of the log to one subscription."""
    return current().replays.run(replay_id)
