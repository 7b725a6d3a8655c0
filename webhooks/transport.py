"""One webhook POST to the address the SSRF guard checked, within a deadline, never redirected."""

from __future__ import annotations

import errno
import http.client
import io
import math
import re
import socket
import ssl
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from webhooks.ssrf import Address, Resolver, Target, parse_target, resolve, system_resolver

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

USER_AGENT = "K2K-Webhooks/1"
#: The most of a response body we read; the rest is not ours to wait for.
MAX_BODY_BYTES = 64 * 1024
#: The most of the body a delivery attempt keeps, in characters.
EXCERPT_CHARS = 1024

# Headers that frame the request, so they are ours to set, never the caller's: the Host must be
# the checked target's, and a second length or a Transfer-Encoding beside Content-Length makes
# the message ambiguous (RFC 9112 §6.1, §6.3), the stuff of request smuggling.
_OURS = frozenset({"host", "content-length", "transfer-encoding"})
# RFC 9110 §10.2.3: delta-seconds = 1*DIGIT.
_DELTA_SECONDS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Response:
    """What the receiver answered: any status, 3xx included, since redirects are not followed."""

    status: int
    headers: dict[str, str]
    body_excerpt: str
    latency_ms: float
    address: str


class TransportError(Exception):
    """No HTTP response: the connection, TLS or the deadline failed; ``reason`` says which."""

    def __init__(self, reason: str, latency_ms: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.latency_ms = latency_ms


class _Deadline:
    """The moment the attempt must be over, and the time left until then for each step."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; raises ``TimeoutError`` when there are none, so no step starts late."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left


class _DeadlineReader(io.RawIOBase):
    """Reads the socket with the time left as each read's timeout: slow drips cannot outlast it."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock = sock
        # A makefile() reader, as http.client uses: it keeps the socket open until it is closed,
        # even after the connection lets go of it (a "Connection: close" response).
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        """It is a reader."""
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int | None:
        """Read what has arrived, waiting no longer than the deadline."""
        self._sock.settimeout(self._deadline.remaining())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        """Let go of the socket."""
        self._raw.close()
        super().close()


def _response_class(deadline: _Deadline) -> type[http.client.HTTPResponse]:
    """An ``HTTPResponse`` that reads its status line, headers and body against ``deadline``."""

    class _Response(http.client.HTTPResponse):
        def __init__(
            self,
            sock: socket.socket,
            debuglevel: int = 0,
            method: str | None = None,
            url: str | None = None,
        ) -> None:
            super().__init__(sock, debuglevel, method, url)
            self.fp.close()  # the plain makefile() reader, before anything was read through it
            self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))

    return _Response


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to the checked address, whatever the URL's host name resolves to now."""

    def __init__(
        self,
        target: Target,
        address: Address,
        deadline: _Deadline,
        tls: ssl.SSLContext | None,
    ) -> None:
        super().__init__(target.host, target.port, timeout=deadline.seconds)
        self.response_class = _response_class(deadline)
        self._address = address
        self._deadline = deadline
        self._tls = tls

    def connect(self) -> None:
        """Connect to the checked IP address, then (for https) verify the certificate by name."""
        sys.audit("http.client.connect", self, self.host, self.port)
        family = socket.AF_INET6 if self._address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._deadline.remaining())
            sock.connect((str(self._address), self.port))
            try:  # as http.client does: headers and body go out without Nagle's delay
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError as error:
                if error.errno != errno.ENOPROTOOPT:
                    raise
            if self._tls is not None:
                sock.settimeout(self._deadline.remaining())
                # SNI and the certificate check use the URL's host (RFC 6125 §6); for an IP
                # literal, ssl checks the certificate's IP addresses and sends no SNI (RFC 6066 §3).
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float = 15.0,
    allow_loopback: bool = False,
    resolver: Resolver = system_resolver,
    ssl_context: ssl.SSLContext | None = None,
) -> Response:
    """POST ``body`` to ``url`` once; raises ``UnsafeTarget`` before sending, ``TransportError`` after.

    ``timeout`` bounds the whole attempt, name resolution included. ``Host``, ``Content-Length``
    and ``Transfer-Encoding`` are set here whatever ``headers`` say.
    """
    deadline = _Deadline(timeout)
    target = parse_target(url)
    address = resolve(target, allow_loopback=allow_loopback, resolver=resolver)
    tls = None
    if target.scheme == "https":
        tls = ssl_context if ssl_context is not None else ssl.create_default_context()
    connection = _PinnedConnection(target, address, deadline, tls)
    started = time.monotonic()
    try:
        connection.connect()
        given = {name.lower() for name in headers}
        connection.putrequest(
            "POST",
            target.path,
            skip_host=True,
            skip_accept_encoding="accept-encoding" in given,
        )
        connection.putheader("Host", target.host_header)
        for name, value in headers.items():
            if name.lower() not in _OURS:
                connection.putheader(name, value)
        if "user-agent" not in given:
            connection.putheader("User-Agent", USER_AGENT)
        connection.putheader("Content-Length", str(len(body)))
        connection.sock.settimeout(deadline.remaining())  # sending gets the time left too
        connection.endheaders(body)
        # RFC 9110 §15.4: a redirect is the receiver's answer; the caller decides what it means.
        # Following one would also take us to a host the guard never checked.
        response = connection.getresponse()
        content = response.read(MAX_BODY_BYTES)
        latency_ms = (time.monotonic() - started) * 1000
        return Response(
            status=response.status,
            headers=_header_dict(response.getheaders()),
            body_excerpt=content.decode("utf-8", errors="replace")[:EXCERPT_CHARS],
            latency_ms=latency_ms,
            address=str(address),
        )
    except (OSError, http.client.HTTPException) as error:
        latency_ms = (time.monotonic() - started) * 1000
        raise TransportError(_reason(error, timeout), latency_ms) from error
    finally:
        connection.close()


def _header_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Response headers by lower-case name; repeats joined with ", " (RFC 9110 §5.3)."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _reason(error: OSError | http.client.HTTPException, timeout: float) -> str:
    """A short account of why there is no response, for the delivery log."""
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS: certificate verify failed: {error.verify_message}"
    if isinstance(error, ssl.SSLError):  # OpenSSL's reason code, e.g. WRONG_VERSION_NUMBER
        return f"TLS: {error.reason.lower().replace('_', ' ')}" if error.reason else f"TLS: {error}"
    if isinstance(error, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(error, http.client.HTTPException):
        return f"bad HTTP response: {type(error).__name__}: {error}"
    return f"connection failed: {error.strerror or error}"


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` value (RFC 9110 §10.2.3) as seconds from ``now``; ``None`` if unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        # More digits than any sane wait (300 years) would overflow a float or int parsing.
        return float(int(text)) if len(text) <= 10 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # An HTTP-date is always GMT (RFC 9110 §5.6.7); "-0000" parses as a naive datetime.
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None
