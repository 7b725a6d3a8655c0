"""The channels a notification goes out on: the outbox (and its files), SMTP email, an SMS gateway.

A sender sends one message once and says how it failed; retrying, backing off and recording the
attempt belong to the delivery job. Each send carries the delivery id (as the email's Message-ID
and the gateway's Idempotency-Key), so a send that is repeated after a crash is recognisable as
the same message by whoever receives it.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import math
import os
import re
import smtplib
import ssl
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from service.settings import Settings
from workers.kinds import LANGUAGES, Channel, OutgoingMessage

DEFAULT_SENDER_ADDRESS = "K2K Co-Manage <noreply@k2k.invalid>"
SMTP_SECURITY = ("starttls", "ssl", "none")
#: Two concatenated SMS segments: 2 x 153 GSM-7 characters, or 2 x 67 UCS-2 characters.
SMS_LIMIT_GSM = 306
SMS_LIMIT_UCS2 = 134

_SAFE_COMPONENT = re.compile(r"[^A-Za-z0-9_.-]")
# RFC 5322 atext plus the dot: what may stand left of the "@" in a Message-ID without quoting.
_MSG_ID_UNSAFE = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.:-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
#: Headers the sender sets itself; ``extra_headers`` may add to them, never replace them.
_OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "content-language",
        "auto-submitted",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)


class DeliveryFailed(Exception):
    """A send that did not go through: retry later unless ``permanent``."""

    def __init__(
        self, reason: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        #: Retrying cannot help (the gateway or server refused this message for good).
        self.permanent = permanent
        #: Seconds the other side asked us to wait before trying again.
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"DeliveryFailed({self.reason!r}, permanent={self.permanent}, "
            f"retry_after={self.retry_after})"
        )


class Sender(Protocol):
    """Sends one message through one channel; raises (DeliveryFailed, ideally) when it did not."""

    channel: Channel

    def send(self, message: OutgoingMessage) -> None:
        """Send ``message`` once; any exception means it was not sent."""


def safe_path_component(value: str) -> str:
    """``value`` as one file-name component: only ``[A-Za-z0-9_.-]``, never ``.`` or ``..``.

    A value that had to change gets a short hash of the original, so two different ids never
    share a folder or a file.
    """
    cleaned = _SAFE_COMPONENT.sub("_", value)[:80]
    if cleaned == value and value.strip(".") and not value.startswith("."):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{cleaned.lstrip('.') or '_'}-{digest}"


def message_id_header(delivery_id: str) -> str:
    """The deterministic Message-ID of a delivery: ``<delivery_id@k2k>``."""
    return f"<{_MSG_ID_UNSAFE.sub('-', delivery_id) or 'delivery'}@k2k>"


def _one_line(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def _created_at(message: OutgoingMessage) -> datetime | None:
    try:
        created = datetime.fromisoformat(message.created_at_iso)
    except ValueError:
        return None
    return created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)


def email_message(
    message: OutgoingMessage,
    sender_address: str = DEFAULT_SENDER_ADDRESS,
    *,
    cte: str = "quoted-printable",
) -> EmailMessage:
    """The RFC 5322 message for ``message``: UTF-8 plain text that ends with the link.

    ``Date`` is when the message was created, not when this attempt runs, so that every attempt
    produces the same message. Without an address (the outbox) the recipient is named under the
    reserved ``.invalid`` domain.
    """
    email = EmailMessage(policy=SMTP_POLICY)
    email["From"] = sender_address
    name = _one_line(message.recipient_name)
    if message.address:
        try:
            email["To"] = Address(display_name=name, addr_spec=message.address.strip())
        except (ValueError, IndexError, HeaderParseError) as error:
            raise DeliveryFailed(f"not a usable email address: {error}", permanent=True) from error
    else:
        local = safe_path_component(message.recipient_id)
        email["To"] = Address(display_name=name, username=local, domain="outbox.k2k.invalid")
    email["Subject"] = _one_line(message.subject)
    created = _created_at(message) or datetime.now(UTC)
    email["Date"] = format_datetime(created)
    email["Message-ID"] = message_id_header(message.delivery_id)
    email["Auto-Submitted"] = "auto-generated"
    email["X-K2K-Kind"] = _one_line(message.kind)
    for header, value in message.extra_headers.items():
        if _HEADER_NAME.match(header) and header.lower() not in _OWN_HEADERS:
            email[header] = _one_line(str(value))
    body = message.body.rstrip("\n")
    if message.link and message.link not in body:
        body = f"{body}\n\n{message.link}"
    email.set_content(body + "\n", subtype="plain", charset="utf-8", cte=cte)
    # After set_content, which drops every Content-* header it finds.
    email["Content-Language"] = message.language if message.language in LANGUAGES else "ms"
    return email


class OutboxSender:
    """The outbox channel: the database row is the message; files are a copy for embedded mode.

    With a directory configured every message is also written to
    ``<dir>/<recipient>/<created_at>-<message_id>.eml``, atomically (a temporary file in the same
    folder, then ``os.replace``), so a repeated send replaces the same file.
    """

    channel: Channel = Channel.OUTBOX

    def __init__(
        self, directory: str | None, *, sender_address: str = DEFAULT_SENDER_ADDRESS
    ) -> None:
        self.directory = Path(directory) if directory else None
        self.sender_address = sender_address

    def path_for(self, message: OutgoingMessage) -> Path | None:
        """Where ``message``'s file goes (None without a directory)."""
        if self.directory is None:
            return None
        created = _created_at(message)
        stamp = (
            created.strftime("%Y%m%dT%H%M%SZ")
            if created
            else re.sub(r"[^0-9]", "", message.created_at_iso)[:14] or "undated"
        )
        folder = self.directory / safe_path_component(message.recipient_id)
        return folder / f"{stamp}-{safe_path_component(message.message_id)}.eml"

    def send(self, message: OutgoingMessage) -> None:
        """Write the message's file when a directory is configured; nothing else to do."""
        path = self.path_for(message)
        if path is None:
            return
        # 8bit keeps the Malay text readable when someone opens the file in an editor.
        content = email_message(message, self.sender_address, cte="8bit").as_bytes()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(content)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise DeliveryFailed(f"could not write {path}: {error}") from error


class SmtpSender:
    """Email through an SMTP server (STARTTLS, implicit TLS or plain), one connection per send."""

    channel: Channel = Channel.EMAIL

    def __init__(
        self,
        host: str,
        port: int,
        user: str | None,
        password: str | None,
        security: str,
        sender_address: str,
        timeout: float = 30,
    ) -> None:
        if security not in SMTP_SECURITY:
            raise ValueError(f"SMTP security must be one of {', '.join(SMTP_SECURITY)}")
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.security = security
        self.sender_address = sender_address
        self.timeout = timeout

    def send(self, message: OutgoingMessage) -> None:
        """Send one email; refusals of this recipient are permanent, everything else retryable."""
        if not message.address:
            raise DeliveryFailed("no email address for this recipient", permanent=True)
        email = email_message(message, self.sender_address)
        envelope_from = parseaddr(self.sender_address)[1] or self.sender_address
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port} unreachable: {error}") from error
        try:
            try:
                self._start(smtp)
            except (OSError, smtplib.SMTPException) as error:
                # Greeting, TLS and login problems are the server's or ours, never the message's.
                raise DeliveryFailed(f"SMTP session failed: {error}") from error
            try:
                smtp.send_message(email, from_addr=envelope_from, to_addrs=[message.address])
            except smtplib.SMTPRecipientsRefused as error:
                code, reply = next(iter(error.recipients.values()), (0, b""))
                raise DeliveryFailed(
                    f"recipient refused: {code} {_text(reply)}", permanent=500 <= code < 600
                ) from error
            except smtplib.SMTPSenderRefused as error:
                # Our own address refused is a configuration problem, not this message's: retry.
                raise DeliveryFailed(
                    f"sender {error.sender} refused: {error.smtp_code} {_text(error.smtp_error)}"
                ) from error
            except smtplib.SMTPResponseException as error:
                raise DeliveryFailed(
                    f"SMTP refused the message: {error.smtp_code} {_text(error.smtp_error)}",
                    permanent=500 <= error.smtp_code < 600,
                ) from error
            except (OSError, smtplib.SMTPException) as error:
                raise DeliveryFailed(f"SMTP failed: {error}") from error
            # Accepted: a failing QUIT must not turn a sent message into a retried one.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
        finally:
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _start(self, smtp: smtplib.SMTP) -> None:
        smtp.ehlo()
        if self.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if self.user:
            smtp.login(self.user, self.password or "")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€")
#: Look-alikes of GSM-7 characters: one dash must not turn a message into three UCS-2 segments.
_GSM_LOOKALIKES = str.maketrans(
    {
        "\u2014": "-",  # em dash
        "\u2013": "-",  # en dash
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00b7": "-",  # middle dot
        "\u00a0": " ",  # no-break space
    }
)


def _sms_units(text: str) -> tuple[int, int]:
    """(units used, limit): GSM-7 septets of 306, or UTF-16 units of 134 when not GSM-7."""
    if all(char in _GSM_BASIC or char in _GSM_EXTENDED for char in text):
        return sum(2 if char in _GSM_EXTENDED else 1 for char in text), SMS_LIMIT_GSM
    return len(text.encode("utf-16-le")) // 2, SMS_LIMIT_UCS2


def fit_sms(text: str, link: str | None) -> str:
    """``text`` on one line that fits two SMS segments, shortened before the link, never the link."""
    text = " ".join(text.translate(_GSM_LOOKALIKES).split())
    if link:
        link = link.strip()
    head = " ".join(text.replace(link, " ").split()) if link else text
    tail = f" {link}" if link else ""
    used, limit = _sms_units(head + tail)
    if used <= limit:
        return text if link is None or link in text else head + tail
    head = head[:limit]
    while head and _sms_units(f"{head}...{tail}")[0] > limit:
        head = head[:-1]
    head = head.rstrip()
    if not head:
        return tail.strip()[:limit]
    return f"{head}...{tail}"


def phone_number(address: str) -> str:
    """A phone number in E.164 (``+60...``); Malaysian local numbers (``012-345 6789``) too."""
    digits = re.sub(r"[\s().-]", "", address)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "60" + digits[1:]
    if not digits.isascii() or not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise DeliveryFailed(f"not a usable phone number: {address!r}", permanent=True)
    return "+" + digits


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """An HTTP ``Retry-After`` value (seconds or an HTTP date) as seconds from now."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: the message was not accepted where we sent it."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


@dataclass(frozen=True)
class _GatewayAnswer:
    status: int
    headers: Message
    detail: str


class SmsGatewaySender:
    """SMS through an HTTP gateway: one JSON POST per message, idempotent by delivery id."""

    channel: Channel = Channel.SMS

    def __init__(self, url: str, key: str, sender_id: str, timeout: float = 15) -> None:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise ValueError("the SMS gateway URL must be http:// or https://")
        self.url = url
        self.key = key
        self.sender_id = sender_id
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())

    def payload(self, message: OutgoingMessage) -> dict[str, str]:
        """The JSON document posted for ``message``."""
        if not message.address:
            raise DeliveryFailed("no phone number for this recipient", permanent=True)
        return {
            "to": phone_number(message.address),
            "from": self.sender_id,
            "text": fit_sms(message.short_text or message.subject, message.link),
            "reference": message.delivery_id,
        }

    def send(self, message: OutgoingMessage) -> None:
        """POST the message; 2xx is accepted, 408/429/5xx/3xx/network retryable, other 4xx not."""
        body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.key}",
                "Idempotency-Key": message.delivery_id,
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": "K2K-CoManage",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(65536)
                return
        except urllib.error.HTTPError as error:
            try:
                detail = _text(error.read(300)).strip() if error.fp else ""
            except (OSError, http.client.HTTPException):
                detail = ""
            finally:
                error.close()
            answer = _GatewayAnswer(error.code, error.headers, detail)
        except (OSError, http.client.HTTPException) as error:
            # URLError and timeouts are OSErrors; the gateway may have the message: the
            # Idempotency-Key makes the retry safe.
            raise DeliveryFailed(f"SMS gateway unreachable: {error}") from error
        raise _refusal(answer)


def _refusal(answer: _GatewayAnswer) -> DeliveryFailed:
    status = answer.status
    detail = f": {answer.detail}" if answer.detail else ""
    if 300 <= status < 400:
        location = answer.headers.get("Location", "")
        return DeliveryFailed(
            f"SMS gateway answered {status} (redirect to {location or '?'}, not followed)"
        )
    retryable = status in {408, 429} or status >= 500
    return DeliveryFailed(
        f"SMS gateway answered {status}{detail}",
        permanent=not retryable,
        retry_after=retry_after_seconds(answer.headers.get("Retry-After")) if retryable else None,
    )


def senders_from(settings: Settings) -> dict[Channel, Sender]:
    """The configured senders: the outbox always, email with an SMTP host, SMS with a gateway."""
    senders: dict[Channel, Sender] = {
        Channel.OUTBOX: OutboxSender(settings.outbox_dir, sender_address=settings.smtp_from)
    }
    if settings.smtp_host:
        senders[Channel.EMAIL] = SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_security,
            settings.smtp_from,
        )
    if settings.sms_url:
        if not settings.sms_key:
            raise ValueError("K2K_SMS_URL is set but K2K_SMS_KEY is not")
        senders[Channel.SMS] = SmsGatewaySender(
            settings.sms_url, settings.sms_key, settings.sms_sender
        )
    return senders
