"""The channels against real local servers: SMTP (aiosmtpd), an HTTP SMS gateway, the outbox files."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from service.settings import Settings
from tests.fakes import FakeSmsGateway, LocalSmtpServer
from workers.channels import (
    SMS_LIMIT_GSM,
    SMS_LIMIT_UCS2,
    DeliveryFailed,
    OutboxSender,
    SmsGatewaySender,
    SmtpSender,
    fit_sms,
    phone_number,
    retry_after_seconds,
    senders_from,
)
from workers.kinds import Channel, OutgoingMessage

LINK = "http://127.0.0.1:8000/api/v1/cases/1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809"
SENDER = "K2K Co-Manage <noreply@k2k.test>"
SMS_KEY = "test-sms-key"


def a_message(channel: Channel = Channel.EMAIL, **changes: Any) -> OutgoingMessage:
    """A status-change message for Nur Aisyah, in Bahasa Malaysia."""
    address = {Channel.EMAIL: "aisyah@example.my", Channel.SMS: "012-345 6789"}.get(channel)
    message = OutgoingMessage(
        delivery_id="dlv-0001",
        message_id="msg-0001",
        recipient_id="resident-aisyah",
        recipient_name="Nur Aisyah binti Kamaruddin",
        channel=channel,
        address=address,
        language="ms",
        kind="case.status_changed",
        subject="[K2K] Kes 1a2b3c4d: Lif Blok A rosak — Dikatakan selesai",
        body=(
            "Salam sejahtera,\n\nKes 1a2b3c4d: Lif Blok A rosak\n\n"
            "Status baharu: Dikatakan selesai (sebelum ini: Sedang diusahakan).\n\n"
            f"Lihat kes: {LINK}\n\n"
            'Untuk mengubah pemberitahuan, buka "Tetapan pemberitahuan" dalam aplikasi.'
        ),
        short_text=f"[K2K] Kes 1a2b3c4d: Lif Blok A rosak — Dikatakan selesai {LINK}",
        link=LINK,
        created_at_iso="2026-12-12T12:00:00+00:00",
    )
    return replace(message, **changes)


@pytest.fixture
def smtp_server() -> Iterator[LocalSmtpServer]:
    """A real SMTP server on a free local port."""
    with LocalSmtpServer() as server:
        yield server


@pytest.fixture
def gateway() -> Iterator[FakeSmsGateway]:
    """An SMS gateway on a free local port that wants ``SMS_KEY``."""
    with FakeSmsGateway(key=SMS_KEY) as fake:
        yield fake


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port that refuses connections (bound, never listening, so nobody else takes it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def mailer(server: LocalSmtpServer, **options: Any) -> SmtpSender:
    settings: dict[str, Any] = {
        "user": None,
        "password": None,
        "security": "none",
        "sender_address": SENDER,
        "timeout": 5,
    }
    settings.update(options)
    return SmtpSender("127.0.0.1", server.port, **settings)


def sms_sender(gateway: FakeSmsGateway, key: str = SMS_KEY) -> SmsGatewaySender:
    return SmsGatewaySender(gateway.url, key, "K2K", timeout=5)


def failure_of(sender: SmtpSender | SmsGatewaySender, message: OutgoingMessage) -> DeliveryFailed:
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(message)
    return failed.value


# --- email ---------------------------------------------------------------------------------------


def test_an_email_carries_the_headers_a_mail_client_and_a_retry_need(
    smtp_server: LocalSmtpServer,
) -> None:
    mailer(smtp_server).send(a_message())

    [received] = smtp_server.messages
    assert received["From"] == SENDER
    assert received["To"] == "Nur Aisyah binti Kamaruddin <aisyah@example.my>"
    assert received["Subject"] == "[K2K] Kes 1a2b3c4d: Lif Blok A rosak — Dikatakan selesai"
    assert received["Message-ID"] == "<dlv-0001@k2k>"
    assert received["Date"].datetime == datetime(2026, 12, 12, 12, 0, tzinfo=UTC)
    assert received["Content-Language"] == "ms"
    assert received["Auto-Submitted"] == "auto-generated"
    assert smtp_server.received[0].mail_from == "noreply@k2k.test"
    assert smtp_server.received[0].rcpt_tos == ("aisyah@example.my",)


def test_an_email_body_is_utf8_plain_text_in_bahasa_malaysia_with_the_link(
    smtp_server: LocalSmtpServer,
) -> None:
    message = a_message(body="Tarikh siap: 12 Dis 2026 — “segera”.")

    mailer(smtp_server).send(message)

    [received] = smtp_server.messages
    assert received.get_content_type() == "text/plain"
    assert received.get_content_charset() == "utf-8"
    content = received.get_content()
    assert "Tarikh siap: 12 Dis 2026 — “segera”." in content
    # The link is always there, even when the body forgot it.
    assert LINK in content


def test_an_english_email_says_it_is_in_english(smtp_server: LocalSmtpServer) -> None:
    mailer(smtp_server).send(a_message(language="en", subject="[K2K] Case 1a2b3c4d: Lift"))

    assert smtp_server.messages[0]["Content-Language"] == "en"


def test_a_retried_email_is_the_same_message_for_the_recipient(
    smtp_server: LocalSmtpServer,
) -> None:
    sender = mailer(smtp_server)

    sender.send(a_message())
    sender.send(a_message())

    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == "<dlv-0001@k2k>"
    assert first["Date"] == second["Date"]


def test_a_451_from_the_server_is_worth_retrying(smtp_server: LocalSmtpServer) -> None:
    smtp_server.refuse_next(1, 451)

    failure = failure_of(mailer(smtp_server), a_message())

    assert not failure.permanent
    assert "451" in failure.reason
    assert smtp_server.messages == []


def test_a_recipient_refused_with_550_is_a_permanent_failure(
    smtp_server: LocalSmtpServer,
) -> None:
    smtp_server.refuse_next(1, 550)

    failure = failure_of(mailer(smtp_server), a_message())

    assert failure.permanent
    assert "550" in failure.reason


def test_a_message_refused_with_554_after_data_is_a_permanent_failure(
    smtp_server: LocalSmtpServer,
) -> None:
    smtp_server.refuse_next(1, 554, stage="data")

    failure = failure_of(mailer(smtp_server), a_message())

    assert failure.permanent


def test_the_next_email_goes_through_once_the_refusals_are_used_up(
    smtp_server: LocalSmtpServer,
) -> None:
    smtp_server.refuse_next(2, 451)
    sender = mailer(smtp_server)

    for _ in range(2):
        assert not failure_of(sender, a_message()).permanent
    sender.send(a_message())

    assert len(smtp_server.messages) == 1


def test_an_smtp_server_that_is_not_there_is_worth_retrying(closed_port: int) -> None:
    sender = SmtpSender("127.0.0.1", closed_port, None, None, "none", SENDER, timeout=5)

    failure = failure_of(sender, a_message())

    assert not failure.permanent
    assert "unreachable" in failure.reason


def test_a_server_that_never_answers_data_times_out_as_worth_retrying(
    smtp_server: LocalSmtpServer,
) -> None:
    smtp_server.hold_data()

    failure = failure_of(mailer(smtp_server, timeout=0.5), a_message())

    assert not failure.permanent
    # The server had the whole message, but never accepted it.
    assert smtp_server.data_reached.is_set()
    assert smtp_server.messages == []
    assert len(smtp_server.unacknowledged) == 1


def test_a_held_email_is_accepted_once_the_server_is_released(
    smtp_server: LocalSmtpServer,
) -> None:
    smtp_server.hold_data()
    outcome: list[BaseException | None] = []

    def send() -> None:
        try:
            mailer(smtp_server).send(a_message())
            outcome.append(None)
        except BaseException as error:  # the test thread reports it
            outcome.append(error)

    worker = threading.Thread(target=send)
    worker.start()
    assert smtp_server.data_reached.wait(5)
    assert smtp_server.messages == []

    smtp_server.release()
    worker.join(5)

    assert outcome == [None]
    assert len(smtp_server.messages) == 1


def test_the_sender_logs_in_when_the_server_wants_it() -> None:
    with LocalSmtpServer(credentials=("k2k", "rahsia")) as server:
        mailer(server, user="k2k", password="rahsia").send(a_message())
        assert len(server.messages) == 1


def test_a_wrong_smtp_password_is_worth_retrying_once_someone_fixes_it() -> None:
    with LocalSmtpServer(credentials=("k2k", "rahsia")) as server:
        failure = failure_of(mailer(server, user="k2k", password="salah"), a_message())
        assert not failure.permanent
        assert "rahsia" not in failure.reason and "salah" not in failure.reason
        assert server.messages == []


def test_an_email_without_an_address_fails_permanently(smtp_server: LocalSmtpServer) -> None:
    assert failure_of(mailer(smtp_server), a_message(address=None)).permanent


def test_an_unknown_smtp_security_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="starttls"):
        SmtpSender("127.0.0.1", 25, None, None, "tls-please", SENDER)


# --- SMS -----------------------------------------------------------------------------------------


def test_an_sms_posts_the_number_sender_text_and_reference(gateway: FakeSmsGateway) -> None:
    sms_sender(gateway).send(a_message(Channel.SMS))

    [request] = gateway.requests
    assert request.method == "POST"
    assert request.body == {
        "to": "+60123456789",
        "from": "K2K",
        "text": f"[K2K] Kes 1a2b3c4d: Lif Blok A rosak - Dikatakan selesai {LINK}",
        "reference": "dlv-0001",
    }
    assert request.headers["Authorization"] == f"Bearer {SMS_KEY}"
    assert request.headers["Idempotency-Key"] == "dlv-0001"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.status == 202
    assert gateway.accepted == [request.body]


def test_an_sms_sent_twice_is_taken_once_by_the_gateway(gateway: FakeSmsGateway) -> None:
    sender = sms_sender(gateway)

    sender.send(a_message(Channel.SMS))
    sender.send(a_message(Channel.SMS))

    assert len(gateway.requests) == 2
    assert len(gateway.accepted) == 1


def test_a_wrong_gateway_key_is_a_permanent_failure(gateway: FakeSmsGateway) -> None:
    failure = failure_of(sms_sender(gateway, key="not-the-key"), a_message(Channel.SMS))

    assert failure.permanent
    assert "401" in failure.reason
    assert gateway.accepted == []


def test_a_429_is_retried_after_the_seconds_the_gateway_asks_for(
    gateway: FakeSmsGateway,
) -> None:
    gateway.answer_next(1, 429, retry_after=30)

    failure = failure_of(sms_sender(gateway), a_message(Channel.SMS))

    assert not failure.permanent
    assert failure.retry_after == 30


def test_a_503_is_retried_after_the_http_date_the_gateway_gives(
    gateway: FakeSmsGateway,
) -> None:
    gateway.answer_next(
        1, 503, retry_after=format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    )

    failure = failure_of(sms_sender(gateway), a_message(Channel.SMS))

    assert not failure.permanent
    assert failure.retry_after is not None
    assert 3000 < failure.retry_after <= 3600


@pytest.mark.parametrize("status", [408, 500, 502])
def test_timeouts_and_server_errors_from_the_gateway_are_worth_retrying(
    gateway: FakeSmsGateway, status: int
) -> None:
    gateway.answer_next(1, status)

    failure = failure_of(sms_sender(gateway), a_message(Channel.SMS))

    assert not failure.permanent
    assert failure.retry_after is None


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_other_client_errors_from_the_gateway_are_permanent(
    gateway: FakeSmsGateway, status: int
) -> None:
    gateway.answer_next(1, status)

    failure = failure_of(sms_sender(gateway), a_message(Channel.SMS))

    assert failure.permanent
    assert str(status) in failure.reason


def test_a_redirect_from_the_gateway_is_a_failure_and_is_not_followed(
    gateway: FakeSmsGateway,
) -> None:
    gateway.answer_next(1, 302, location=gateway.url)

    failure = failure_of(sms_sender(gateway), a_message(Channel.SMS))

    assert "302" in failure.reason
    assert len(gateway.requests) == 1
    assert gateway.accepted == []


def test_an_unreachable_gateway_is_worth_retrying(closed_port: int) -> None:
    sender = SmsGatewaySender(f"http://127.0.0.1:{closed_port}/v1/messages", SMS_KEY, "K2K")

    failure = failure_of(sender, a_message(Channel.SMS))

    assert not failure.permanent


def test_a_long_sms_is_cut_to_two_segments_and_keeps_its_link(gateway: FakeSmsGateway) -> None:
    long_title = "Lif Blok A rosak dan berbunyi kuat setiap kali berhenti di tingkat tujuh " * 6
    message = a_message(Channel.SMS, short_text=f"[K2K] Kes 1a2b3c4d: {long_title} {LINK}")

    sms_sender(gateway).send(message)

    text = gateway.requests[0].body["text"]
    assert len(text) <= SMS_LIMIT_GSM
    assert text.endswith(f"... {LINK}")
    assert text.startswith("[K2K] Kes 1a2b3c4d: Lif Blok A rosak")


def test_an_sms_that_needs_unicode_fits_two_unicode_segments() -> None:
    text = fit_sms("[K2K] Kes 1a2b3c4d: 电梯坏了 " * 20, LINK)

    assert len(text.encode("utf-16-le")) // 2 <= SMS_LIMIT_UCS2
    assert text.endswith(LINK)


def test_an_sms_without_a_link_in_its_text_gets_the_link_appended() -> None:
    assert fit_sms("[K2K] Kes 1a2b3c4d: Lif rosak", LINK) == f"[K2K] Kes 1a2b3c4d: Lif rosak {LINK}"


@pytest.mark.parametrize(
    ("written", "international"),
    [
        ("012-345 6789", "+60123456789"),
        ("+60 12-345 6789", "+60123456789"),
        ("60123456789", "+60123456789"),
        ("0060123456789", "+60123456789"),
        ("(03) 2691 1234", "+60326911234"),
    ],
)
def test_phone_numbers_are_sent_in_international_form(written: str, international: str) -> None:
    assert phone_number(written) == international


@pytest.mark.parametrize("written", ["", "telefon saya", "012", "+60 12 345 6789 0000 1111"])
def test_a_number_that_is_not_a_phone_number_fails_permanently(written: str) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        phone_number(written)
    assert failed.value.permanent


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("Sat, 12 Dec 2026 12:01:00 GMT", 60.0),
        ("Sat, 12 Dec 2026 11:00:00 GMT", 0.0),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    header: str | None, seconds: float | None
) -> None:
    now = datetime(2026, 12, 12, 12, 0, tzinfo=UTC)

    assert retry_after_seconds(header, now=now) == seconds


def test_an_sms_gateway_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        SmsGatewaySender("file:///etc/passwd", SMS_KEY, "K2K")


# --- outbox --------------------------------------------------------------------------------------


def outbox_files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file())


def test_the_outbox_writes_one_file_per_message_even_when_sent_twice(tmp_path: Path) -> None:
    outbox = OutboxSender(str(tmp_path))
    message = a_message(Channel.OUTBOX, address=None)

    outbox.send(message)
    outbox.send(message)
    outbox.send(a_message(Channel.OUTBOX, address=None, message_id="msg-0002"))

    assert [path.relative_to(tmp_path).as_posix() for path in outbox_files(tmp_path)] == [
        "resident-aisyah/20261212T120000Z-msg-0001.eml",
        "resident-aisyah/20261212T120000Z-msg-0002.eml",
    ]


def test_an_outbox_file_is_a_utf8_email_a_mail_client_opens(tmp_path: Path) -> None:
    OutboxSender(str(tmp_path), sender_address=SENDER).send(a_message(Channel.OUTBOX, address=None))

    [path] = outbox_files(tmp_path)
    parsed = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "[K2K] Kes 1a2b3c4d: Lif Blok A rosak — Dikatakan selesai"
    assert parsed["Message-ID"] == "<dlv-0001@k2k>"
    assert parsed["From"] == SENDER
    assert parsed["To"].addresses[0].display_name == "Nur Aisyah binti Kamaruddin"
    assert parsed.get_content_charset() == "utf-8"
    assert LINK in parsed.get_content()
    # Readable as it is, without decoding.
    assert "Status baharu: Dikatakan selesai" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("recipient_id", ["../../etc", "..", "a/b", "/root", "orang biasa", ".x"])
def test_a_recipient_id_never_leads_outside_the_outbox(tmp_path: Path, recipient_id: str) -> None:
    outbox_dir = tmp_path / "outbox"

    OutboxSender(str(outbox_dir)).send(
        a_message(Channel.OUTBOX, address=None, recipient_id=recipient_id)
    )

    [path] = outbox_files(tmp_path)
    assert path.parent.parent == outbox_dir
    assert not path.parent.name.startswith(".")


def test_recipient_ids_that_clean_up_alike_keep_separate_folders(tmp_path: Path) -> None:
    outbox = OutboxSender(str(tmp_path))

    outbox.send(a_message(Channel.OUTBOX, address=None, recipient_id="a/b"))
    outbox.send(a_message(Channel.OUTBOX, address=None, recipient_id="a:b"))

    assert len({path.parent for path in outbox_files(tmp_path)}) == 2


def test_the_outbox_leaves_no_temporary_files_behind(tmp_path: Path) -> None:
    OutboxSender(str(tmp_path)).send(a_message(Channel.OUTBOX, address=None))

    assert [path.suffix for path in outbox_files(tmp_path)] == [".eml"]


def test_without_a_directory_the_outbox_writes_nothing(tmp_path: Path) -> None:
    outbox = OutboxSender(None)

    outbox.send(a_message(Channel.OUTBOX, address=None))

    assert outbox.path_for(a_message(Channel.OUTBOX)) is None
    assert outbox_files(tmp_path) == []


def test_an_outbox_that_cannot_write_is_worth_retrying(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")

    with pytest.raises(DeliveryFailed) as failed:
        OutboxSender(str(blocker)).send(a_message(Channel.OUTBOX, address=None))

    assert not failed.value.permanent


# --- configuration -------------------------------------------------------------------------------


def test_only_the_outbox_is_on_without_smtp_or_sms_settings(tmp_path: Path) -> None:
    senders = senders_from(Settings(database_url="sqlite://", outbox_dir=str(tmp_path)))

    assert list(senders) == [Channel.OUTBOX]
    assert isinstance(senders[Channel.OUTBOX], OutboxSender)


def test_email_and_sms_are_on_when_their_settings_are_given() -> None:
    settings = Settings(
        database_url="sqlite://",
        smtp_host="smtp.example.my",
        smtp_security="ssl",
        sms_url="https://sms.example.my/v1/messages",
        sms_key="key",
    )

    senders = senders_from(settings)

    assert set(senders) == {Channel.OUTBOX, Channel.EMAIL, Channel.SMS}
    assert all(sender.channel is channel for channel, sender in senders.items())


def test_an_sms_gateway_without_a_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="K2K_SMS_KEY"):
        senders_from(Settings(database_url="sqlite://", sms_url="https://sms.example.my/"))
