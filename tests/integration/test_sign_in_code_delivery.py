"""In production the web request leaves its sign-in code job in the database; the relay moves it
to rq and a worker emails it: no request handler talks to Redis, and Redis being down loses it not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from rq import SimpleWorker

from service.runtime import Runtime
from service.settings import Settings
from service.web.signin.codes import parse_address, request_code
from tests.conftest import REDIS_URL
from tests.fakes.smtp import LocalSmtpServer
from workers.context import using
from workers.people import ensure_person, update_person
from workers.queue import QUEUES, RqJobQueue


@pytest.fixture
def smtp() -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer() as server:
        yield server


@pytest.fixture
def production(settings: Settings, smtp: LocalSmtpServer, redis_prefix: str) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(
        replace(
            settings,
            redis_url=REDIS_URL,
            queue_prefix=redis_prefix,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="none",
            outbox_dir=None,
        )
    )
    try:
        yield runtime
    finally:
        runtime.close()


def work(runtime: Runtime) -> None:
    assert isinstance(runtime.queue, RqJobQueue)
    queues = [runtime.queue.rq_queue(name) for name in QUEUES]
    with using(runtime.worker_context()):
        SimpleWorker(queues, connection=runtime.queue.connection).work(burst=True)


def test_the_relay_moves_a_requested_code_to_rq_and_a_worker_emails_it(
    production: Runtime, smtp: LocalSmtpServer
) -> None:
    with production.engine.begin() as conn:
        ensure_person(conn, "resident-aminah", "Puan Aminah", "resident", ["SRP"])
    update_person(production.engine, "resident-aminah", email="aminah@example.my")
    request_code(production, parse_address("aminah@example.my"), "203.0.113.9", "ms")
    assert production.queue.rq_queue("notifications").count == 0  # the request left Redis alone

    production.relay.catch_up()
    work(production)

    [email] = smtp.messages
    assert email["To"] == "Puan Aminah <aminah@example.my>"
    assert re.search(r"Kod masuk anda: \d{6}", email["Subject"])
    production.relay.catch_up()
    work(production)
    assert len(smtp.messages) == 1  # forwarded once, sent once
