"""Email over a real SMTP server, SMS through a gateway, the outbox files, digests and retries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from domain.clock import MALAYSIA
from service.runtime import Runtime
from service.settings import Settings
from tests.fakes.sms_gateway import FakeSmsGateway
from tests.fakes.smtp import LocalSmtpServer
from tests.integration.notification_world import Notified, notified
from tests.unit.world import MANAGER, REPORTER
from workers.people import update_person


@pytest.fixture
def smtp() -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer() as server:
        yield server


@pytest.fixture
def sms() -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway() as gateway:
        yield gateway


@pytest.fixture
def scenario(
    settings: Settings, smtp: LocalSmtpServer, sms: FakeSmsGateway, tmp_path: Path
) -> Iterator[Notified]:
    configured = replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        sms_url=sms.url,
        sms_key=sms.key,
        outbox_dir=str(tmp_path / "outbox"),
    )
    runtime = Runtime.from_settings(configured)
    try:
        with notified(runtime) as each:
            update_person(
                runtime.engine, "manager-1", email="aminah@dbkl.example", channels=["email"]
            )
            update_person(runtime.engine, "manager-2", phone="012-345 6789", channels=["sms"])
            yield each
    finally:
        runtime.close()


def test_each_person_gets_email_or_sms_in_their_language_and_every_message_in_the_outbox(
    scenario: Notified, smtp: LocalSmtpServer, sms: FakeSmsGateway, tmp_path: Path
) -> None:
    case_id = scenario.world.report(REPORTER, title="Lif Blok A rosak")
    scenario.drain()

    [email] = smtp.messages
    assert email["To"].endswith("<aminah@dbkl.example>")
    assert email["Content-Language"] == "ms"
    assert "Lif Blok A rosak" in email["Subject"]
    assert str(case_id) in email.get_content()
    [text] = sms.accepted
    assert text["to"] == "+60123456789"
    assert f"/api/v1/cases/{case_id}" in text["text"]
    # The outbox keeps a copy of every message, also for people with no email or phone.
    outbox = tmp_path / "outbox"
    assert sorted(path.name for path in outbox.iterdir()) == [
        "committee-1",
        "committee-2",
        "manager-1",
        "manager-2",
    ]
    assert len(list((outbox / "committee-2").iterdir())) == 1


def test_a_refused_email_is_retried_with_backoff_and_sent_once(
    scenario: Notified, smtp: LocalSmtpServer
) -> None:
    smtp.refuse_next(1, 451)
    scenario.world.report(REPORTER)
    scenario.drain()
    [email_delivery] = [row for row in scenario.deliveries() if row.channel == "email"]
    assert (email_delivery.status, email_delivery.attempts) == ("pending", 1)
    assert "451" in email_delivery.last_error
    assert smtp.messages == []

    # A repeat of the first job (rq runs jobs at least once) waits for the backoff too.
    assert scenario.runtime.notifier.deliver(email_delivery.delivery_id) == "not yet"
    assert smtp.messages == []

    scenario.clock.advance(seconds=40)  # the first backoff is 30 s with jitter
    scenario.drain()

    assert len(smtp.messages) == 1
    [email_delivery] = [row for row in scenario.deliveries() if row.channel == "email"]
    assert (email_delivery.status, email_delivery.attempts) == ("sent", 2)


def test_a_delivery_that_keeps_failing_is_marked_failed_and_kept(
    scenario: Notified, sms: FakeSmsGateway
) -> None:
    sms.answer_next(10, 503)
    scenario.world.report(REPORTER)
    for _ in range(8):
        scenario.drain()
        scenario.clock.advance(hours=3)  # longer than the longest backoff

    [sms_delivery] = [row for row in scenario.deliveries("case.reported") if row.channel == "sms"]
    assert sms_delivery.status == "failed"
    assert sms_delivery.attempts == 6
    assert "503" in sms_delivery.last_error
    assert not any("reported" in text["text"].lower() for text in sms.accepted)


def test_a_permanent_refusal_fails_at_once(scenario: Notified, smtp: LocalSmtpServer) -> None:
    smtp.refuse_next(1, 550)
    scenario.world.report(REPORTER)
    scenario.drain()

    [email_delivery] = [row for row in scenario.deliveries() if row.channel == "email"]
    assert (email_delivery.status, email_delivery.attempts) == ("failed", 1)


def test_a_person_on_the_daily_digest_gets_one_email_a_day_with_everything_held(
    scenario: Notified, smtp: LocalSmtpServer
) -> None:
    update_person(scenario.runtime.engine, "manager-1", digest=True, language="en")
    first = scenario.world.report(REPORTER, title="Lif Blok A rosak")
    scenario.world.report(REPORTER, title="Paip bocor di tingkat 3", category_code="WATER")
    scenario.drain()
    assert smtp.messages == []  # held for the digest; the outbox has both already
    assert scenario.kinds("manager-1") == ["case.reported", "case.reported"]

    # START is 09:30 in Malaysia: the digest goes out at 08:00 the next morning.
    scenario.clock.advance(hours=22, minutes=31)
    assert scenario.clock.current.astimezone(MALAYSIA).hour == 8
    scenario.drain()
    scenario.drain()

    [digest] = smtp.messages
    assert "2" in digest["Subject"]
    body = digest.get_content()
    assert "Lif Blok A rosak" in body and "Paip bocor di tingkat 3" in body
    assert str(first)[:8] in body
    reported = [row for row in scenario.deliveries("case.reported") if row.channel == "email"]
    assert {row.status for row in reported} == {"digested"}
    assert [row.status for row in scenario.deliveries("digest")] == ["sent"]

    scenario.runtime.notifier.send_digest("manager-1", "email", "2024-03-05")  # a repeat
    scenario.drain()
    assert len(smtp.messages) == 1


def test_a_resident_hears_by_sms_that_their_case_was_acknowledged(
    scenario: Notified, sms: FakeSmsGateway
) -> None:
    update_person(scenario.runtime.engine, "resident-1", phone="+60 19-876 5432", channels=["sms"])
    case_id = scenario.world.report(REPORTER)
    scenario.drain()
    scenario.world.app.acknowledge_case(MANAGER, case_id)
    scenario.drain()

    to_resident = [text for text in sms.accepted if text["to"] == "+60198765432"]
    assert len(to_resident) == 1
    assert "Acknowledged" in to_resident[0]["text"]
