"""A fake SMS gateway: an HTTP server on 127.0.0.1 that behaves like a real one, on cue badly."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class GatewayRequest:
    """One request as the gateway got it: headers (case-insensitive) and the parsed JSON body."""

    method: str
    path: str
    headers: Message
    body: Any
    status: int


@dataclass
class _Answer:
    status: int
    retry_after: str | None = None
    location: str | None = None
    body: dict[str, Any] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    gateway: FakeSmsGateway


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        """Record the request, then answer as told, or authenticate, validate and accept it."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        answer = self.server.gateway._answer(self.headers, body)
        self.server.gateway._record(
            GatewayRequest(self.command, self.path, self.headers, body, answer.status)
        )
        payload = json.dumps(answer.body).encode("utf-8")
        self.send_response(answer.status)
        if answer.retry_after is not None:
            self.send_header("Retry-After", answer.retry_after)
        if answer.location is not None:
            self.send_header("Location", answer.location)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``gateway.requests`` instead."""


class FakeSmsGateway:
    """An SMS gateway for tests: ``.url``, ``.requests``, ``.accepted`` and answers on cue.

    It wants ``Authorization: Bearer <key>`` (401 otherwise) and a JSON body with ``to`` and
    ``text`` (400 otherwise). Like a real gateway it accepts a message once per
    ``Idempotency-Key`` (or ``reference``): a repeat gets the first answer and sends nothing new.
    """

    def __init__(self, key: str = "test-sms-key") -> None:
        self.key = key
        self.requests: list[GatewayRequest] = []
        #: The messages the gateway took on, once per idempotency key, in order.
        self.accepted: list[dict[str, Any]] = []
        self._by_key: dict[str, str] = {}
        self._scripted: list[_Answer] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.gateway = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the gateway listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Where to POST messages."""
        return f"http://127.0.0.1:{self.port}/v1/messages"

    def start(self) -> FakeSmsGateway:
        """Serve in a background thread; returns the gateway."""
        # A short poll interval: stop() waits for the loop to notice, at every test's teardown.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeSmsGateway:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def answer_next(
        self,
        count: int,
        status: int,
        *,
        retry_after: str | int | None = None,
        location: str | None = None,
    ) -> None:
        """Answer the next ``count`` requests with ``status`` (and ``Retry-After``/``Location``),
        whatever they are; nothing is accepted for them.
        """
        answer = _Answer(
            status,
            retry_after=None if retry_after is None else str(retry_after),
            location=location,
            body={"error": f"scripted {status}"},
        )
        with self._lock:
            self._scripted.extend([answer] * count)

    def _record(self, request: GatewayRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _answer(self, headers: Message, body: Any) -> _Answer:
        with self._lock:
            if self._scripted:
                return self._scripted.pop(0)
            if headers.get("Authorization") != f"Bearer {self.key}":
                return _Answer(401, body={"error": "unauthorised"})
            if not isinstance(body, dict) or not body.get("to") or not body.get("text"):
                return _Answer(400, body={"error": "to and text are required"})
            key = str(headers.get("Idempotency-Key") or body.get("reference") or "")
            if key and key in self._by_key:
                return _Answer(202, body={"id": self._by_key[key], "status": "accepted"})
            message_id = f"sms-{len(self.accepted) + 1}"
            self.accepted.append(body)
            if key:
                self._by_key[key] = message_id
            return _Answer(202, body={"id": message_id, "status": "accepted"})
