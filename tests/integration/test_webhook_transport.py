"""The webhook transport against a real local HTTP(S) server: one POST, to the checked address."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from webhooks.ssrf import UnsafeTarget
from webhooks.transport import TransportError, post, retry_after_seconds

BODY = b'{"type":"case.opened","data":{"case":"1a2b"}}'
WEBHOOK_HEADERS = {
    "Content-Type": "application/json",
    "webhook-id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
    "webhook-timestamp": "1674087231",
    "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
}


@dataclass(frozen=True)
class Received:
    """One request as the receiver got it."""

    method: str
    path: str
    headers: Message
    body: bytes


class _Server(ThreadingHTTPServer):
    # Handler threads are joined by server_close(), so none outlives the test holding a socket.
    daemon_threads = False
    block_on_close = True
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: clients here hang up on purpose (time-outs, refused certificates)."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 5  # a handler never waits longer than this for a request

    def do_POST(self) -> None:
        """Record the request, then answer as the path says."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        receiver = self.server.receiver
        receiver.record(Received(self.command, self.path, self.headers, body))
        if self.path == "/redirect":
            self._answer(302, b"moved", Location=receiver.url("/elsewhere"))
        elif self.path == "/slow":
            receiver.release.wait(5)
            self._answer(200, b"too late")
        elif self.path == "/drip":
            # A status line, then a header a byte at a time: each read gets data well within
            # any per-read timeout, so only a deadline for the whole attempt can stop it.
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            while not receiver.release.wait(0.05):
                self.wfile.write(b"a")
        elif self.path == "/big":
            self._answer(200, b"\xff" + "é".encode() * 50_000)
        else:
            self._answer(200, b"thanks", **{"X-Receiver": "k2k-test", "X-Seen": "one"})

    def _answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``receiver.requests`` instead."""


class Receiver:
    """A webhook receiver on 127.0.0.1 (HTTPS when given a server TLS context)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Received] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self.scheme = "http"
        if tls is not None:
            self.scheme = "https"
            # The handshake happens in the handler's thread, so a refused one cannot stall accept.
            self._server.socket = tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The port the receiver listens on."""
        return int(self._server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The URL of ``path`` on this receiver, by ``host`` (IP or name)."""
        return f"{self.scheme}://{host}:{self.port}{path}"

    def record(self, request: Received) -> None:
        """Keep ``request`` for the test to read."""
        with self._lock:
            self.requests.append(request)

    def stop(self) -> None:
        """Let slow handlers finish, stop serving, close every socket, join every thread."""
        self.release.set()
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


class FakeResolver:
    """Answers every name with the given addresses and remembers each question."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return list(self.answers)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A plain HTTP receiver on 127.0.0.1."""
    server = Receiver()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is bound (so nobody else takes it) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@dataclass(frozen=True)
class Certificates:
    """A test CA and a server certificate it signed for hooks.example.org and 127.0.0.1."""

    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Made with the openssl command, since the standard library cannot make certificates."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    (folder / "leaf.ext").write_text(
        "subjectAltName=DNS:hooks.example.org,IP:127.0.0.1\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
    )
    commands = [
        [openssl, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=K2K test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        [openssl, "req", "-new", *ec, "-keyout", "leaf.key", "-out", "leaf.csr",
         "-subj", "/CN=hooks.example.org"],
        [openssl, "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-set_serial", "2", "-days", "2", "-extfile", "leaf.ext", "-out", "leaf.pem"],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(command, cwd=folder, check=True, capture_output=True, timeout=30)
    return Certificates(folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key")


@pytest.fixture
def tls_receiver(certificates: Certificates) -> Iterator[tuple[Receiver, list[str | None]]]:
    """An HTTPS receiver with the test certificate, and the SNI names its clients sent."""
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert, certificates.key)
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    server = Receiver(tls=context)
    try:
        yield server, names
    finally:
        server.stop()


def trusting(certificates: Certificates) -> ssl.SSLContext:
    """A client context that trusts the test CA (and nothing else)."""
    return ssl.create_default_context(cafile=str(certificates.ca))


def test_a_post_arrives_with_the_body_the_headers_and_the_host(receiver: Receiver) -> None:
    post(receiver.url("/hooks/k2k?tenant=ppr"), BODY, WEBHOOK_HEADERS, allow_loopback=True)

    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hooks/k2k?tenant=ppr"
    assert request.body == BODY
    for name, value in WEBHOOK_HEADERS.items():
        assert request.headers[name] == value
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["Content-Length"] == str(len(BODY))
    assert request.headers["User-Agent"] == "K2K-Webhooks/1"


def test_the_callers_user_agent_wins_but_host_and_length_are_always_ours(
    receiver: Receiver,
) -> None:
    headers = {"user-agent": "Custom/2", "Host": "evil.example", "Content-Length": "1"}
    post(receiver.url("/hook"), BODY, headers, allow_loopback=True)

    [request] = receiver.requests
    assert request.headers.get_all("User-Agent") == ["Custom/2"]
    assert request.headers.get_all("Host") == [f"127.0.0.1:{receiver.port}"]
    assert request.headers.get_all("Content-Length") == [str(len(BODY))]
    assert request.body == BODY


def test_the_response_has_status_headers_excerpt_latency_and_address(receiver: Receiver) -> None:
    response = post(receiver.url("/hook"), BODY, WEBHOOK_HEADERS, allow_loopback=True)

    assert response.status == 200
    assert response.headers["x-receiver"] == "k2k-test"
    assert response.headers["content-length"] == "6"
    assert all(name == name.lower() for name in response.headers)
    assert response.body_excerpt == "thanks"
    assert 0 < response.latency_ms < 5000
    assert response.address == "127.0.0.1"


def test_the_excerpt_is_the_first_1024_characters_with_bad_bytes_replaced(
    receiver: Receiver,
) -> None:
    response = post(receiver.url("/big"), BODY, {}, allow_loopback=True)

    assert response.body_excerpt == "\ufffd" + "é" * 1023


def test_a_redirect_is_returned_and_not_followed(receiver: Receiver) -> None:
    response = post(receiver.url("/redirect"), BODY, WEBHOOK_HEADERS, allow_loopback=True)

    assert response.status == 302
    assert response.headers["location"] == receiver.url("/elsewhere")
    assert [request.path for request in receiver.requests] == ["/redirect"]


def test_a_server_slower_than_the_timeout_gives_a_transport_error(receiver: Receiver) -> None:
    started = time.monotonic()
    with pytest.raises(TransportError) as failed:
        post(receiver.url("/slow"), BODY, WEBHOOK_HEADERS, timeout=0.5, allow_loopback=True)

    assert failed.value.reason == "timed out after 0.5 s"
    assert failed.value.latency_ms is not None
    assert failed.value.latency_ms >= 400
    assert time.monotonic() - started < 3


def test_the_timeout_bounds_the_whole_attempt_not_each_read(receiver: Receiver) -> None:
    started = time.monotonic()
    with pytest.raises(TransportError) as failed:
        post(receiver.url("/drip"), BODY, WEBHOOK_HEADERS, timeout=0.5, allow_loopback=True)

    assert "timed out" in failed.value.reason
    assert time.monotonic() - started < 2


def test_connection_refused_gives_a_transport_error(closed_port: int) -> None:
    with pytest.raises(TransportError) as failed:
        post(f"http://127.0.0.1:{closed_port}/hook", BODY, {}, timeout=2, allow_loopback=True)

    assert failed.value.reason == "connection refused"
    assert failed.value.latency_ms is not None


def test_loopback_is_refused_before_anything_is_sent_unless_allowed(receiver: Receiver) -> None:
    with pytest.raises(UnsafeTarget) as refused:
        post(receiver.url("/hook"), BODY, WEBHOOK_HEADERS)

    assert not isinstance(refused.value, TransportError)
    assert refused.value.reason == "127.0.0.1 is a loopback address"
    assert receiver.requests == []


def test_a_name_is_resolved_once_and_the_connection_goes_to_the_checked_address(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_second_lookup(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a second lookup: getaddrinfo{args}")

    monkeypatch.setattr(socket, "getaddrinfo", no_second_lookup)
    resolver = FakeResolver("127.0.0.1")

    response = post(
        receiver.url("/hook", host="hooks.example.org"),
        BODY,
        WEBHOOK_HEADERS,
        allow_loopback=True,
        resolver=resolver,
    )

    assert resolver.calls == [("hooks.example.org", receiver.port)]
    assert response.address == "127.0.0.1"
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.example.org:{receiver.port}"


def test_a_name_resolving_to_a_private_address_is_refused_without_connecting(
    receiver: Receiver,
) -> None:
    resolver = FakeResolver("127.0.0.1", "10.0.0.7")
    with pytest.raises(UnsafeTarget, match=r"10\.0\.0\.7 is a private address"):
        post(
            receiver.url("/hook", host="hooks.example.org"),
            BODY,
            {},
            allow_loopback=True,
            resolver=resolver,
        )
    assert receiver.requests == []


def test_https_verifies_the_certificate_against_the_url_host_and_sends_it_as_sni(
    tls_receiver: tuple[Receiver, list[str | None]], certificates: Certificates
) -> None:
    receiver, sni = tls_receiver
    response = post(
        receiver.url("/hook", host="hooks.example.org"),
        BODY,
        WEBHOOK_HEADERS,
        allow_loopback=True,
        resolver=FakeResolver("127.0.0.1"),
        ssl_context=trusting(certificates),
    )

    assert response.status == 200
    assert response.address == "127.0.0.1"
    assert sni == ["hooks.example.org"]
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.example.org:{receiver.port}"
    assert request.body == BODY


def test_https_to_an_ip_literal_verifies_the_certificate_against_the_ip(
    tls_receiver: tuple[Receiver, list[str | None]], certificates: Certificates
) -> None:
    receiver, sni = tls_receiver
    response = post(
        receiver.url("/hook"),
        BODY,
        {},
        allow_loopback=True,
        ssl_context=trusting(certificates),
    )

    assert response.status == 200
    assert sni == [None]  # RFC 6066 §3: no SNI for an IP address


def test_https_refuses_a_certificate_for_another_name(
    tls_receiver: tuple[Receiver, list[str | None]], certificates: Certificates
) -> None:
    receiver, _ = tls_receiver
    with pytest.raises(TransportError) as failed:
        post(
            receiver.url("/hook", host="other.example.org"),
            BODY,
            {},
            allow_loopback=True,
            resolver=FakeResolver("127.0.0.1"),
            ssl_context=trusting(certificates),
        )

    assert failed.value.reason.startswith("TLS: certificate verify failed")
    assert "other.example.org" in failed.value.reason
    assert receiver.requests == []


def test_https_with_the_default_context_refuses_an_unknown_ca(
    tls_receiver: tuple[Receiver, list[str | None]],
) -> None:
    receiver, _ = tls_receiver
    with pytest.raises(TransportError) as failed:
        post(
            receiver.url("/hook", host="hooks.example.org"),
            BODY,
            {},
            allow_loopback=True,
            resolver=FakeResolver("127.0.0.1"),
        )

    assert failed.value.reason.startswith("TLS: certificate verify failed")
    assert receiver.requests == []


def test_https_to_a_server_without_tls_gives_a_tls_error(receiver: Receiver) -> None:
    with pytest.raises(TransportError) as failed:
        post(receiver.url("/hook").replace("http:", "https:"), BODY, {}, allow_loopback=True)

    assert failed.value.reason.startswith("TLS: ")


NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        (format_datetime(NOW + timedelta(seconds=60), usegmt=True), 60.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("Sun, 01 Mar 2026 09:32:00 -0000", 120.0),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("9" * 309, None),  # would overflow a float
        ("9" * 5000, None),  # beyond Python's int-from-text limit
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_or_an_http_date(
    value: str | None, seconds: float | None
) -> None:
    assert retry_after_seconds(value, NOW) == seconds
