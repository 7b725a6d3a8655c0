"""Replays: deliver again every event a subscription wants, from a position or a time onwards.

A receiver that lost data (a restore, a bug on its side, a long outage) asks for the events
again. A replay is bounded by the head of the log when it was asked for, makes a new delivery per
event (the ``webhook-id`` stays the event's own, so the receiver recognises what it has already),
and runs as jobs that each cover a chunk of the log, so a long replay never holds one job for long.
The subscription's current filters decide which events it wants.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select, update

from domain import clock
from domain.application import K2K
from domain.errors import InvalidValue, NotFound
from domain.webhook import WebhookSubscription
from webhooks.catalogue import publish, published_type
from webhooks.publisher import Delivery, WebhookPublisher, deliver_job, insert_rows
from webhooks.tables import webhook_replays
from workers.queue import JobQueue, JobSpec
from workers.rules import Facts

PAGE = 500
#: Events one replay job covers before it queues the next chunk.
CHUNK = 5000


def replay_job(replay_id: str, reached: int) -> JobSpec:
    """The job that replays the next chunk after position ``reached``."""
    return JobSpec(
        job_id=f"webhook-replay-{replay_id}-{reached}",
        queue="webhooks",
        function="webhooks.jobs.replay",
        args=(replay_id,),
    )


def position_at(app: K2K, moment: datetime) -> int:
    """The position of the last event recorded before ``moment`` (0 if none).

    Positions follow recording order, so their times rise with them: a binary search over the
    positions finds the boundary in a few dozen reads, whatever the size of the log.
    """
    low, high = 0, app.recorder.max_notification_id() or 0
    while low < high:
        middle = (low + high + 1) // 2
        [notification] = app.recorder.select_notifications(start=middle, limit=1)
        recorded: datetime = vars(app.mapper.to_domain_event(notification))["timestamp"]
        if recorded < moment:
            low = notification.id if notification.id >= middle else middle
        else:
            high = middle - 1
    return low


class Replayer:
    """Asks for replays and carries them out."""

    def __init__(
        self,
        app: K2K,
        engine: Engine,
        publisher: WebhookPublisher,
        queue: JobQueue,
        public_url: str,
    ) -> None:
        self.app = app
        self.engine = engine
        self.publisher = publisher
        self.queue = queue
        self.public_url = public_url

    def request(
        self,
        subscription: WebhookSubscription,
        requested_by: str,
        *,
        since_position: int | None = None,
        since: datetime | None = None,
    ) -> dict[str, Any]:
        """Record a replay of the events after ``since_position`` (or recorded from ``since``)."""
        head = self.app.recorder.max_notification_id() or 0
        if (since_position is None) == (since is None):
            raise InvalidValue("since_position", "give either since_position or since")
        if since is not None:
            start = position_at(self.app, clock.as_utc(since))
        else:
            assert since_position is not None
            if since_position > head:
                raise InvalidValue(
                    "since_position", f"the log ends at position {head}; nothing follows it"
                )
            start = since_position
        row = {
            "replay_id": str(uuid.uuid4()),
            "subscription_id": str(subscription.id),
            "requested_by": requested_by,
            "requested_at": clock.now(),
            "from_position": start,
            "to_position": head,
            "since": clock.as_utc(since) if since else None,
            "reached_position": start,
            "deliveries": 0,
            "progressed_at": clock.now(),
            "finished_at": None,
        }
        if start >= head:
            row["finished_at"] = row["requested_at"]
        with self.engine.begin() as conn:
            conn.execute(webhook_replays.insert().values(row))
        if row["finished_at"] is None:
            self.queue.enqueue(replay_job(str(row["replay_id"]), start))
        return row

    def get(self, replay_id: str) -> dict[str, Any]:
        """One replay's progress."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(webhook_replays).where(webhook_replays.c.replay_id == replay_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"no replay {replay_id}")
        return dict(row)

    def run(self, replay_id: str) -> str:
        """Replay the next chunk; queues the chunk after it until the replay is done."""
        replay = self.get(replay_id)
        if replay["finished_at"] is not None:
            return "finished"
        try:
            subscription = self.app.get_webhook_subscription(UUID(replay["subscription_id"]))
        except NotFound:
            reached = replay["reached_position"]
            self._record(replay_id, reached, reached, 0, finished=True)
            return "subscription deleted"
        facts = Facts(self.app, self.engine, self.public_url)
        start, stop = replay["reached_position"], replay["to_position"]
        covered = 0
        while start < stop and covered < CHUNK:
            page = self.app.recorder.select_notifications(
                start=start, limit=PAGE, stop=stop, inclusive_of_start=False
            )
            if not page:  # the rest of the range is a gap in the ids
                self._record(replay_id, start, stop, 0, finished=True)
                return "finished"
            planned: list[Delivery] = []
            for notification in page:
                event = self.app.mapper.to_domain_event(notification)
                if published_type(event) is None:
                    continue
                after, previous = facts.aggregate_after(event)
                published = publish(
                    event,
                    after,
                    previous,
                    notification.id,
                    self.public_url,
                    facts.is_private_case,
                )
                if published is None:
                    continue
                delivery = self.publisher.delivery_to(
                    subscription,
                    facts,
                    published,
                    event,
                    notification.id,
                    origin=f"replay:{replay_id}",
                )
                if delivery is not None:
                    planned.append(delivery)
            added = insert_rows(self.engine, planned)
            self.queue.enqueue_many([deliver_job(d.delivery_id, 1) for d in planned])
            reached = page[-1].id
            covered += len(page)
            if not self._record(replay_id, start, reached, added, finished=reached >= stop):
                return "overtaken"  # another run of this chunk (a sweep's) got there first
            start = reached
        if start >= stop:
            return "finished"
        self.queue.enqueue(replay_job(replay_id, start))
        return "continuing"

    def _record(
        self, replay_id: str, previous: int, reached: int, added: int, *, finished: bool
    ) -> bool:
        """Move the replay on from ``previous``; False when another run moved it first."""
        now = clock.now()
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(webhook_replays)
                .where(
                    webhook_replays.c.replay_id == replay_id,
                    webhook_replays.c.reached_position == previous,
                    webhook_replays.c.finished_at.is_(None),
                )
                .values(
                    reached_position=reached,
                    deliveries=webhook_replays.c.deliveries + added,
                    progressed_at=now,
                    finished_at=now if finished else None,
                )
            )
        return bool(moved.rowcount == 1)
