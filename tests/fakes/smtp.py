"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives and misbehaves on cue."""

from __future__ import annotations

import asyncio
import base64
import binascii
import email
import threading
from collections.abc import Awaitable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session

REPLIES = {
    421: "421 4.3.2 Service shutting down",
    450: "450 4.2.1 Mailbox busy, try again later",
    451: "451 4.3.0 Temporary failure, try again later",
    452: "452 4.3.1 Insufficient system storage",
    550: "550 5.1.1 Mailbox unavailable",
    552: "552 5.3.4 Message too big",
    553: "553 5.1.3 Mailbox name not allowed",
    554: "554 5.7.1 Message refused",
}


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class _Handler:
    def __init__(self, server: LocalSmtpServer) -> None:
        self.server = server

    async def handle_AUTH(
        self, server: SMTP, session: Session, envelope: Envelope, args: list[str]
    ) -> str | None:
        mechanism = args[0].upper()
        if mechanism == "PLAIN":
            if len(args) > 1:
                try:
                    blob: Any = base64.b64decode(args[1], validate=True)
                except binascii.Error:
                    return "501 5.5.2 Cannot decode response"
            else:
                blob = await server.challenge_auth("", encode_to_b64=False)
            if blob is MISSING:
                return "501 5.7.0 Auth aborted"
            _, user, password = [*bytes(blob).split(b"\0"), b"", b""][:3]
        elif mechanism == "LOGIN":
            login = await server.challenge_auth("Username:")
            secret = await server.challenge_auth("Password:")
            if not isinstance(login, bytes) or not isinstance(secret, bytes):
                return "501 5.7.0 Auth aborted"
            user, password = login, secret
        else:
            return "504 5.5.4 Unrecognized authentication type"
        if (user, password) != self.server._expected_credentials():
            return "535 5.7.8 Authentication credentials invalid"
        session.authenticated = True
        return "235 2.7.0 Authentication successful"

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.server._credentials is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusal = self.server._take_refusal("rcpt")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self.server._take_refusal("data")
        if refusal:
            return refusal
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        received = Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), parsed)
        held = self.server._hold
        if held is not None:
            # The message is all here but not yet acknowledged: the sender is waiting for the 250.
            with self.server._lock:
                self.server.unacknowledged.append(received)
            self.server.data_reached.set()
            while not held.is_set():
                await asyncio.sleep(0.01)
            with self.server._lock:
                self.server.unacknowledged.remove(received)
        with self.server._lock:
            self.server.received.append(received)
        return "250 2.0.0 Message accepted for delivery"


class _FreePortController(Controller):
    """aiosmtpd's controller, bound to a port the system picks (no race for a guessed port)."""

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
        )
        self.port = server.sockets[0].getsockname()[1]
        return server


class LocalSmtpServer:
    """An SMTP server for tests: ``.port``, ``.messages``, refusals and a stalled DATA on cue.

    Use it as a context manager, or call ``start()`` and ``stop()``. ``credentials`` makes it
    require AUTH LOGIN/PLAIN with that user and password (over plain text: it is a test server).
    """

    host = "127.0.0.1"

    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.received: list[Received] = []
        #: Messages whose DATA is held: all received, but the sender has no answer yet. One stays
        #: here if the sender went away before it got the answer (the server never accepted it).
        self.unacknowledged: list[Received] = []
        #: Set when a held DATA has arrived, so a test can act while the sender waits.
        self.data_reached = threading.Event()
        self._lock = threading.Lock()
        self._refusals: list[tuple[str, str]] = []
        self._hold: threading.Event | None = None
        self._credentials = credentials
        options: dict[str, Any] = {}
        if credentials:
            # The handler does AUTH itself and requires it before RCPT: aiosmtpd's own AUTH
            # warns about requiring it without TLS and touches a deprecated attribute.
            options = {"auth_require_tls": False}
        self._controller = _FreePortController(_Handler(self), hostname=self.host, **options)
        self._running = False

    @property
    def port(self) -> int:
        """The port the server listens on (after ``start``)."""
        return int(self._controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages accepted so far, parsed, in the order they arrived."""
        with self._lock:
            return [item.message for item in self.received]

    def start(self) -> LocalSmtpServer:
        """Start listening; returns the server."""
        self._controller.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Release any held DATA and stop listening."""
        if self._hold is not None:
            self._hold.set()
        if self._running:
            self._controller.stop()
            self._running = False

    def __enter__(self) -> LocalSmtpServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def refuse_next(self, count: int = 1, code: int = 451, *, stage: str = "rcpt") -> None:
        """Answer the next ``count`` recipients (``stage="rcpt"``) or messages (``"data"``) with
        ``code``: 451 and other 4xx mean "try again later", 550 and other 5xx "never".
        """
        if stage not in {"rcpt", "data"}:
            raise ValueError("stage is 'rcpt' or 'data'")
        reply = REPLIES.get(code, f"{code} {'4.0.0' if code < 500 else '5.0.0'} Refused")
        with self._lock:
            self._refusals.extend([(stage, reply)] * count)

    def hold_data(self) -> threading.Event:
        """Stall every DATA from now on until the returned event is set (or ``release()``)."""
        self.data_reached.clear()
        self._hold = threading.Event()
        return self._hold

    def release(self) -> None:
        """Let held DATA commands finish; later ones are no longer held."""
        hold, self._hold = self._hold, None
        if hold is not None:
            hold.set()

    def _expected_credentials(self) -> tuple[bytes, bytes] | None:
        if self._credentials is None:
            return None
        user, password = self._credentials
        return user.encode(), password.encode()

    def _take_refusal(self, stage: str) -> str | None:
        with self._lock:
            for index, (refusal_stage, reply) in enumerate(self._refusals):
                if refusal_stage == stage:
                    del self._refusals[index]
                    return reply
        return None
