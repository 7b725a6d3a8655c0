"""The relay and the jobs on the real Redis (rq): outages, crashes and repeats lose nothing and
send nothing twice; embedded mode without Redis sends the same messages."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rq import SimpleWorker
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler

from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import REDIS_URL
from tests.fakes.smtp import LocalSmtpServer
from tests.fakes.tcp_proxy import TcpProxy
from tests.integration.notification_world import PEOPLE, Notified, notified
from tests.processes import k2k_worker, kill_group
from tests.unit.world import MANAGER, NEIGHBOUR, REPORTER, FrozenClock
from workers.context import using
from workers.people import update_person
from workers.queue import QUEUES, QueueUnavailable, RqJobQueue


@pytest.fixture
def smtp() -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer() as server:
        yield server


def configured(settings: Settings, smtp: LocalSmtpServer, **changes: Any) -> Settings:
    """``settings`` with email to the local SMTP server."""
    return replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        outbox_dir=None,
        **changes,
    )


def start(runtime: Runtime) -> Notified:
    """Everyone with an email address, on a clock that starts now (rq schedules in real time)."""
    return Notified(runtime, FrozenClock(datetime.now(tz=UTC)))


def with_email(runtime: Runtime) -> None:
    for principal_id, *_ in PEOPLE:
        update_person(runtime.engine, principal_id, email=f"{principal_id}@k2k.example")


def play(scenario: Notified) -> None:
    """A case's life that notifies every kind of case rule."""
    app = scenario.world.app
    case_id = scenario.world.report(REPORTER)
    app.support_case(NEIGHBOUR, case_id)
    app.acknowledge_case(MANAGER, case_id)
    app.comment_on_case(MANAGER, case_id, text="Juruteknik datang esok.")
    app.resolve_case(MANAGER, case_id, note="Motor lif diganti.")
    app.dispute_resolution(REPORTER, case_id, reason="Masih rosak.")


def work(runtime: Runtime) -> None:
    """Run the queued jobs with a real rq worker (in this process) until the queues are empty."""
    assert isinstance(runtime.queue, RqJobQueue)
    queues = [runtime.queue.rq_queue(name) for name in QUEUES]
    with using(runtime.worker_context()):
        SimpleWorker(queues, connection=runtime.queue.connection).work(burst=True)


def relay_and_work(runtime: Runtime) -> None:
    runtime.runner.catch_up()
    runtime.relay.catch_up()
    work(runtime)


def without_ids(text: str) -> str:
    """``text`` with case references blanked (each run reports a case with a new id)."""
    return re.sub(r"[0-9a-f]{8}", "*", text)


def sent(smtp: LocalSmtpServer) -> list[tuple[str, str]]:
    """(recipient address, subject) of every email the server accepted, sorted."""
    return sorted((str(m["To"]), without_ids(str(m["Subject"]))) for m in smtp.messages)


@pytest.fixture
def rq_runtime(settings: Settings, smtp: LocalSmtpServer, redis_prefix: str) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(
        configured(settings, smtp, redis_url=REDIS_URL, queue_prefix=redis_prefix)
    )
    try:
        yield runtime
    finally:
        runtime.close()


def expected_outboxes(scenario: Notified) -> dict[str, list[tuple[str, str, str]]]:
    return {
        pid: sorted((m.kind, m.language, without_ids(m.subject)) for m in scenario.outbox(pid))
        for pid, *_ in PEOPLE
    }


def test_rq_and_embedded_mode_send_the_same_messages_once_each(
    settings: Settings, smtp: LocalSmtpServer, redis_prefix: str, tmp_path: Path
) -> None:
    frozen_start = datetime.now(tz=UTC)
    outcomes = []
    for mode, changes in (
        ("rq", {"redis_url": REDIS_URL, "queue_prefix": redis_prefix}),
        ("embedded", {"database_url": f"sqlite:///{tmp_path / 'embedded.sqlite'}"}),
    ):
        runtime = Runtime.from_settings(configured(settings, smtp, **changes))
        try:
            with notified(runtime, frozen_start) as scenario:
                with_email(runtime)
                smtp.received.clear()
                play(scenario)
                if mode == "rq":
                    relay_and_work(runtime)
                else:
                    scenario.drain()
                outcomes.append((expected_outboxes(scenario), sent(smtp)))
        finally:
            runtime.close()

    (rq_outboxes, rq_emails), (embedded_outboxes, embedded_emails) = outcomes
    assert rq_outboxes == embedded_outboxes
    assert rq_emails == embedded_emails
    # 4 of the new case, 2 each of acknowledged, commented, resolved, 5 of the dispute.
    assert len(rq_emails) == 15


def test_events_recorded_while_redis_is_unreachable_are_all_delivered_once_it_is_back(
    settings: Settings, smtp: LocalSmtpServer, redis_prefix: str
) -> None:
    proxy = TcpProxy("127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0])).restore()
    proxied = f"redis://127.0.0.1:{proxy.port}/0"
    runtime = Runtime.from_settings(
        configured(settings, smtp, redis_url=proxied, queue_prefix=redis_prefix)
    )
    try:
        with notified(runtime, datetime.now(tz=UTC)) as scenario:
            with_email(runtime)
            proxy.cut()  # Redis goes away; residents and staff carry on
            play(scenario)
            runtime.runner.catch_up()

            with pytest.raises(QueueUnavailable):
                runtime.relay.catch_up()
            assert runtime.relay.position() == 0  # nothing relayed: the events wait in the log
            assert smtp.messages == []

            proxy.restore()
            relay_and_work(runtime)
            relay_and_work(runtime)  # nothing new the second time

            assert runtime.relay.lag() == 0
            assert len(smtp.messages) == 15
            assert len({m["Message-ID"] for m in smtp.messages}) == 15
    finally:
        proxy.cut()
        runtime.close()


def test_a_relay_killed_after_enqueueing_but_before_recording_its_position_sends_nothing_twice(
    rq_runtime: Runtime, smtp: LocalSmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Killed(BaseException):
        """The relay process dies here."""

    with notified(rq_runtime, datetime.now(tz=UTC)) as scenario:
        with_email(rq_runtime)
        play(scenario)
        rq_runtime.runner.catch_up()
        with monkeypatch.context() as patched:
            patched.setattr(
                type(rq_runtime.relay), "_advance", lambda *_: (_ for _ in ()).throw(Killed())
            )
            with pytest.raises(Killed):
                rq_runtime.relay.catch_up()
        assert rq_runtime.relay.position() == 0

        # The relay restarts from its old position and queues the same jobs again.
        relay_and_work(rq_runtime)

        assert len(smtp.messages) == 15
        assert len({m["Message-ID"] for m in smtp.messages}) == 15


def test_a_worker_killed_mid_send_is_retried_and_the_email_is_sent_once(
    rq_runtime: Runtime, smtp: LocalSmtpServer, settings: Settings, redis_prefix: str
) -> None:
    with notified(rq_runtime, datetime.now(tz=UTC)) as scenario:
        update_person(rq_runtime.engine, "manager-1", email="manager-1@k2k.example")
        scenario.world.report(REPORTER)
        rq_runtime.runner.catch_up()
        rq_runtime.relay.catch_up()

    hold = smtp.hold_data()
    env = {
        **os.environ,
        "K2K_DATABASE_URL": settings.database_url,
        "K2K_REDIS_URL": REDIS_URL,
        "K2K_QUEUE_PREFIX": redis_prefix,
        "K2K_SMTP_HOST": "127.0.0.1",
        "K2K_SMTP_PORT": str(smtp.port),
        "K2K_SMTP_SECURITY": "none",
        "K2K_DELIVERY_LEASE_SECONDS": "1",
        "K2K_BACKGROUND": "0",
    }
    with k2k_worker(env, "notifications") as first:
        assert smtp.data_reached.wait(60), "the worker never reached the SMTP server"
        kill_group(first)  # killed, with its scheduler, while the server holds the message
    hold.set()
    smtp.release()
    assert smtp.messages == []

    # rq's maintenance finds the dead worker's job once its heartbeat expires; run it now, as if
    # that time had passed. The job has retries left, so rq schedules it again.
    queue = rq_runtime.queue
    assert isinstance(queue, RqJobQueue)
    registry = StartedJobRegistry(queue.queue_name("notifications"), connection=queue.connection)
    registry.cleanup(timestamp=time.time() + 3600)
    # The dead worker's scheduler held the lock on the queue's scheduled jobs (the retry is one);
    # it would expire within a minute: let it expire now.
    queue.connection.delete(RQScheduler.get_locking_key(queue.queue_name("notifications")))

    with k2k_worker(env, "notifications"):
        deadline = time.monotonic() + 60
        while not smtp.messages and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # a second copy, if the retry sent one, would arrive now

    assert [str(m["To"]) for m in smtp.messages] == ["manager-1 <manager-1@k2k.example>"]
    [delivery] = [row for row in scenario.deliveries("case.reported") if row.channel == "email"]
    assert delivery.status == "sent"
    assert delivery.attempts == 2


def test_jobs_lost_with_redis_data_are_queued_again_and_sent_once(
    rq_runtime: Runtime, smtp: LocalSmtpServer, redis_prefix: str
) -> None:
    import redis

    with notified(rq_runtime, datetime.now(tz=UTC)) as scenario:
        with_email(rq_runtime)
        play(scenario)
        rq_runtime.runner.catch_up()
        rq_runtime.relay.catch_up()
        # Redis restarts without persistence: every queued job of ours is gone.
        connection = redis.Redis.from_url(REDIS_URL)
        connection.delete(*connection.scan_iter(match=f"*{redis_prefix}*"))
        connection.close()
        work(rq_runtime)
        assert smtp.messages == []

        scenario.clock.advance(minutes=2)
        rq_runtime.notifier.requeue_due()
        work(rq_runtime)
        rq_runtime.notifier.requeue_due()  # a second sweep finds nothing left to do
        work(rq_runtime)

    assert len(smtp.messages) == 15
    assert len({m["Message-ID"] for m in smtp.messages}) == 15


def test_a_delayed_job_is_never_scheduled_before_its_time(rq_runtime: Runtime) -> None:
    from datetime import timedelta

    from rq.registry import ScheduledJobRegistry

    from workers.queue import JobSpec

    queue = rq_runtime.queue
    assert isinstance(queue, RqJobQueue)
    run_at = datetime.now(tz=UTC).replace(microsecond=900_000) + timedelta(hours=1)
    queue.enqueue(
        JobSpec("probe", "sla", "workers.jobs.check_sla", ("x", "acknowledge", "breach"), run_at)
    )

    registry = ScheduledJobRegistry(queue.queue_name("sla"), connection=queue.connection)
    [job_id] = registry.get_job_ids()
    score = queue.connection.zscore(registry.key, job_id)
    # rq keeps whole seconds: the job's time is rounded up, so it cannot run 0.9 s early.
    assert score >= run_at.timestamp()
