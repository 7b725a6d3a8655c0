"""A webhook receiver: an HTTP server on 127.0.0.1 that records every POST and answers from a
script, slowly or never on cue, and verifies what it got the way integrators will.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

#: The longest a held reply waits for its event before answering anyway.
HOLD_LIMIT = 30.0
#: How long ``stop()`` waits for requests still being answered to finish.
STOP_GRACE = 5.0


@dataclass(frozen=True)
class Reply:
    """How to answer one request."""

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: Seconds to wait before answering.
    delay: float = 0.0
    #: If set, answer only once the event is set (or after HOLD_LIMIT seconds, or at ``stop()``).
    hold: threading.Event | None = None


@dataclass(frozen=True)
class Received:
    """One request as the receiver got it, recorded on arrival, before it was answered."""

    path: str
    #: Header names in lower case; a repeated header's values joined with ", ".
    headers: dict[str, str]
    body: bytes
    #: ``time.time()`` when the request had arrived.
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: WebhookReceiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about senders that hung up (a killed worker, a client timeout); loud otherwise."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    #: A sender that stalls mid-request cannot keep a handler thread for ever.
    timeout = 10.0

    def do_POST(self) -> None:
        """Record the request, then answer with the next scripted reply."""
        receiver = self.server.receiver
        receiver._begin()
        try:
            body = self._read_body()
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
            reply = receiver._record(Received(self.path, headers, body, time.time()))
            receiver._wait(reply)
            self._answer(reply)
        finally:
            receiver._end()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in {b"\r\n", b"\n", b""}:
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, reply: Reply) -> None:
        bodiless = reply.status < 200 or reply.status in {204, 304}
        payload = b"" if bodiless else reply.body
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if not bodiless:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``receiver.received`` instead."""


class WebhookReceiver:
    """A threaded HTTP server on 127.0.0.1 that records every POST and answers from a script.

    Any path is accepted: ``url`` is ``/hook``, ``url_for(path)`` gives others. Requests are
    answered with ``reply_with``'s replies in order, then with ``default``; a path given its own
    script with ``replies_for`` takes its replies from that one instead, then ``default``.
    Use it as a context manager, or call ``start()`` and ``stop()``.
    """

    host = "127.0.0.1"

    def __init__(self) -> None:
        #: The reply once the scripts have run out.
        self.default = Reply(204)
        self._received: list[Received] = []
        self._script: list[Reply] = []
        self._scripts: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._in_flight = 0
        self._stopping = threading.Event()
        self._server = _Server((self.host, 0), _Handler)
        self._server.receiver = self
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def port(self) -> int:
        """The port the receiver listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The URL to subscribe: ``http://127.0.0.1:<port>/hook``."""
        return self.url_for("/hook")

    def url_for(self, path: str) -> str:
        """The URL of another ``path`` on this receiver (for several subscriptions on one)."""
        return f"http://{self.host}:{self.port}/{path.lstrip('/')}"

    def start(self) -> WebhookReceiver:
        """Serve in a background thread; returns the receiver."""
        if self._closed:
            raise RuntimeError("a stopped receiver does not start again; make a new one")
        # A short poll interval: stop() waits for the loop to notice, at every test's teardown.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held and delayed replies, stop serving and close the socket."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        # Let requests being answered finish, so their sockets are closed before the test ends.
        deadline = time.monotonic() + STOP_GRACE
        with self._arrived:
            while self._in_flight and time.monotonic() < deadline:
                self._arrived.wait(0.02)
        if not self._closed:
            self._server.server_close()
            self._closed = True

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def reply_with(self, *replies: Reply) -> None:
        """Answer the next requests (on paths without a script of their own) with ``replies``,
        in order; after they run out, with ``default``.
        """
        with self._lock:
            self._script.extend(replies)

    def replies_for(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with ``replies``, in order, then with ``default``."""
        with self._lock:
            self._scripts.setdefault(_normal(path), []).extend(replies)

    @property
    def received(self) -> list[Received]:
        """The requests so far, in the order they arrived (a copy)."""
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least ``count`` requests have arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} webhook requests within {timeout}s, "
                        f"got {len(self._received)}: {_describe(self._received)}"
                    )
                self._arrived.wait(left)
            return list(self._received)

    def verify_all(self, *secrets: str) -> list[dict[str, Any]]:
        """Verify every request received with ``standardwebhooks`` as a receiver would: each must
        verify with at least one of ``secrets``. Returns the payloads, in order of arrival.
        """
        if not secrets:
            raise ValueError("verify_all needs at least one secret")
        payloads: list[dict[str, Any]] = []
        for index, request in enumerate(self.received):
            errors: list[str] = []
            payload: Any = None
            for secret in secrets:
                try:
                    payload = Webhook(secret).verify(request.body, request.headers)
                except WebhookVerificationError as error:
                    errors.append(str(error))
                    continue
                break
            else:
                raise AssertionError(
                    f"webhook request #{index} ({_describe([request])}) verifies with none of "
                    f"the {len(secrets)} secret(s): {'; '.join(errors)}"
                )
            if not isinstance(payload, dict):
                raise AssertionError(
                    f"webhook request #{index} ({_describe([request])}) is not a JSON object"
                )
            payloads.append(payload)
        return payloads

    # The handler's side.

    def _begin(self) -> None:
        with self._lock:
            self._in_flight += 1

    def _end(self) -> None:
        with self._arrived:
            self._in_flight -= 1
            self._arrived.notify_all()

    def _record(self, request: Received) -> Reply:
        """Keep the request and take its reply off the script, both in order of arrival."""
        with self._arrived:
            self._received.append(request)
            self._arrived.notify_all()
            script = self._scripts.get(_normal(request.path))
            if script is None:
                script = self._scripts.get(_normal(urlsplit(request.path).path), self._script)
            return script.pop(0) if script else self.default

    def _wait(self, reply: Reply) -> None:
        if reply.delay > 0:
            self._stopping.wait(reply.delay)
        if reply.hold is not None:
            deadline = time.monotonic() + HOLD_LIMIT
            while not (reply.hold.is_set() or self._stopping.is_set()):
                if time.monotonic() >= deadline:
                    break
                reply.hold.wait(0.02)


def _normal(path: str) -> str:
    return "/" + path.lstrip("/")


def _describe(requests: list[Received]) -> str:
    if not requests:
        return "nothing"
    return ", ".join(
        f"POST {request.path} webhook-id={request.headers.get('webhook-id', '-')}"
        for request in requests
    )


@contextmanager
def running_receiver() -> Iterator[WebhookReceiver]:
    """A started receiver, stopped (and its socket closed) on the way out."""
    with WebhookReceiver() as receiver:
        yield receiver
