"""Webhook deliveries through rq on the real Redis: jobs from the relay, workers that die."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
from rq import SimpleWorker
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler

from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import REDIS_URL
from tests.fakes.webhook_receiver import Reply, WebhookReceiver, running_receiver
from tests.integration.webhook_world import hooked, webhook_settings
from tests.processes import k2k_worker, kill_group
from tests.unit.world import REPORTER
from workers.context import using
from workers.queue import RqJobQueue


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as server:
        yield server


@pytest.fixture
def rq_runtime(settings: Settings, redis_prefix: str) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(
        webhook_settings(settings, redis_url=REDIS_URL, queue_prefix=redis_prefix)
    )
    try:
        yield runtime
    finally:
        runtime.close()


def work(runtime: Runtime) -> None:
    """Run the queued webhook jobs with a real rq worker (in this process) until none is left."""
    assert isinstance(runtime.queue, RqJobQueue)
    with using(runtime.worker_context()):
        queue = runtime.queue.rq_queue("webhooks")
        SimpleWorker([queue], connection=runtime.queue.connection).work(burst=True)


def test_the_relay_queues_deliveries_on_rq_and_a_worker_sends_them_signed(
    rq_runtime: Runtime, receiver: WebhookReceiver
) -> None:
    from datetime import UTC, datetime

    with hooked(rq_runtime, datetime.now(tz=UTC)) as scenario:
        _, secret = scenario.subscribe(receiver.url, ["case.*"])
        case_id = scenario.world.report(REPORTER)
        scenario.app.withdraw_case(REPORTER, case_id)
        rq_runtime.runner.catch_up()
        rq_runtime.relay.catch_up()
        rq_runtime.relay.catch_up()  # relaying again queues nothing new
    work(rq_runtime)

    payloads = receiver.verify_all(secret)
    assert [p["type"] for p in payloads] == ["case.reported", "case.withdrawn"]
    assert payloads[1]["data"]["status"] == "withdrawn"


def test_a_worker_killed_mid_delivery_leaves_exactly_one_successful_delivery(
    rq_runtime: Runtime, receiver: WebhookReceiver, settings: Settings, redis_prefix: str
) -> None:
    from datetime import UTC, datetime

    with hooked(rq_runtime, datetime.now(tz=UTC)) as scenario:
        subscription_id, secret = scenario.subscribe(receiver.url, ["case.reported"])
        scenario.world.report(REPORTER)
        rq_runtime.runner.catch_up()
        rq_runtime.relay.catch_up()

    held = threading.Event()
    receiver.reply_with(Reply(204, hold=held))  # the first request is never answered in time
    env = {
        **os.environ,
        "K2K_DATABASE_URL": settings.database_url,
        "K2K_REDIS_URL": REDIS_URL,
        "K2K_QUEUE_PREFIX": redis_prefix,
        "K2K_WEBHOOK_ALLOW_LOOPBACK": "1",
        "K2K_DELIVERY_LEASE_SECONDS": "1",
        "K2K_BACKGROUND": "0",
    }
    with k2k_worker(env, "webhooks") as first:
        receiver.wait_for(1, timeout=60)
        kill_group(first)  # killed, with its scheduler, while the receiver holds the request
    held.set()

    # rq's maintenance finds the dead worker's job once its heartbeat expires; run it now, as if
    # that time had passed. The job has retries left, so rq schedules it again.
    queue = rq_runtime.queue
    assert isinstance(queue, RqJobQueue)
    registry = StartedJobRegistry(queue.queue_name("webhooks"), connection=queue.connection)
    registry.cleanup(timestamp=time.time() + 3600)
    # The dead worker's scheduler held the lock on the queue's scheduled jobs (the retry is one);
    # it would expire within a minute: let it expire now.
    queue.connection.delete(RQScheduler.get_locking_key(queue.queue_name("webhooks")))

    with k2k_worker(env, "webhooks"):
        receiver.wait_for(2, timeout=60)
        time.sleep(1)  # a third request, if anything sent one, would arrive now

    requests = receiver.received
    assert len(requests) == 2
    # The receiver sees one message twice, under one webhook-id: it keeps the first.
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    receiver.verify_all(secret)
    [delivery] = scenario.deliveries(subscription_id)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    killed, retried = scenario.attempts(delivery.delivery_id)
    assert killed.status_code is None and killed.finished_at is None
    assert retried.status_code == 204
