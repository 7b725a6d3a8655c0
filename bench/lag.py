"""lag: from a command's answer to its effect in every read model, and to a delivered webhook.

The service runs as it is deployed on each backend. SQLite: embedded mode, ``k2k serve``, whose
web process also runs the projections, the relay and the jobs in threads. PostgreSQL: production
mode, with gunicorn (two workers), a ``k2k projections run`` process, a ``k2k relay`` process and
a ``k2k worker`` process on the local Redis, each with its default polling interval.

A client reports cases over HTTP, one at a time with a random pause between them, as people do.
From the moment each answer arrives, the benchmark watches (1) the projections' tracking rows,
until every read model has applied the log up to the new event, and (2) a webhook receiver on
127.0.0.1 subscribed to every event, until the case's ``case.reported`` delivery arrives.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, func, select

from bench.commands import _report_body
from bench.common import Report, latency_rows, runtime_on
from bench.datasets import Dataset, cast_of, working_copy
from bench.serving import (
    Client,
    free_port,
    gunicorn,
    k2k_process,
    service_env,
    wait_until_healthy,
)
from domain.actors import Actor, Role
from projections.engine import tracking
from service.tokens.store import issue_token
from webhooks.keys import box_for
from webhooks.subscriptions import subscribe

READ_MODEL_P99_MS = 1000.0
REDIS_URL = "redis://127.0.0.1:6379/0"
#: How long to wait for one effect before counting it as lost (which fails the target).
GIVE_UP_SECONDS = 30.0


class Receiver:
    """A webhook receiver on 127.0.0.1 that notes when each body arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, bytes]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.arrived:
                    receiver.arrivals.append((time.perf_counter(), body))
                    receiver.arrived.notify_all()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Silence the per-request log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def wait_for(self, needle: bytes, since: int, timeout: float) -> float | None:
        """When a body containing ``needle`` arrived (looking from arrival ``since`` on)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for at, body in self.arrivals[since:]:
                    if needle in body:
                        return at
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.arrived.wait(remaining)

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        """Serve in a thread until the block ends."""
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


@contextmanager
def _deployed(
    backend: str, url: str, folder: str, extra: dict[str, str]
) -> Iterator[tuple[str, str]]:
    """The service as deployed on ``backend``; yields its URL and a description."""
    log = Path(folder) / "service.log"
    if backend == "sqlite":
        port = free_port()
        env = service_env(url, folder, K2K_BACKGROUND="1", **extra)
        with k2k_process(env, "serve", "--port", str(port), "--threads", "4", log=log) as served:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, served)
            yield base, "embedded: k2k serve (projections, relay and jobs in its threads)"
        return
    prefix = f"k2k-bench-{uuid.uuid4().hex[:8]}"
    env = service_env(url, folder, K2K_REDIS_URL=REDIS_URL, K2K_QUEUE_PREFIX=prefix, **extra)
    try:
        with ExitStack() as stack:
            stack.enter_context(k2k_process(env, "projections", "run", log=log))
            stack.enter_context(k2k_process(env, "relay", log=log))
            stack.enter_context(k2k_process(env, "worker", log=log))
            base = stack.enter_context(gunicorn(env, 2, log=log))
            yield (
                base,
                "production: gunicorn (2 workers), k2k projections run, k2k relay, "
                "k2k worker on Redis",
            )
    finally:
        connection = redis.Redis.from_url(REDIS_URL)
        keys = list(connection.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            connection.delete(*keys)


def run(dataset: Dataset, commands: int = 200, pause: float = 0.2) -> Report:
    """Report ``commands`` cases one at a time and measure both lags of each."""
    report = Report("lag", dataset.backend, dataset.events)
    rng = random.Random(dataset.seed)
    with tempfile.TemporaryDirectory(prefix="k2k-bench-") as folder, ExitStack() as stack:
        receiver = stack.enter_context(Receiver().running())
        url = stack.enter_context(working_copy(dataset, folder))
        runtime = stack.enter_context(runtime_on(url, folder))
        cast = cast_of(runtime)
        resident_token, _ = issue_token(
            runtime.engine,
            runtime.app,
            role=Role.RESIDENT,
            name="Bench resident",
            ppr_codes=[cast.ppr_code],
            principal_id=cast.residents[0],
        )
        subscribe(
            runtime.app,
            runtime.engine,
            Actor("admin", Role.ADMIN),
            url=f"http://127.0.0.1:{receiver.port}/hook",
            event_types=["*"],
            ppr_codes=[],
            description="bench receiver",
            box=box_for(runtime.settings.secrets_key),
        )
        runtime.runner.catch_up()  # the subscription is in place before the service starts
        names = list(runtime.runner.projections)
        read_lags, hook_lags, lost = [], [], 0
        extra = {"K2K_WEBHOOK_ALLOW_LOOPBACK": "1"}
        base, topology = stack.enter_context(_deployed(dataset.backend, url, folder, extra))
        client = Client(base, resident_token)
        _settle(runtime.engine, names)
        for number in range(commands):
            time.sleep(rng.uniform(0, 2 * pause))
            seen = len(receiver.arrivals)
            case = client.request("POST", "/api/v1/cases", _report_body(cast, number), expect=201)
            answered = time.perf_counter()
            head = int(runtime.app.recorder.max_notification_id() or 0)
            projected = _wait_projected(runtime.engine, names, head, GIVE_UP_SECONDS)
            delivered = receiver.wait_for(case["id"].encode(), seen, GIVE_UP_SECONDS)
            if projected is None or delivered is None:
                lost += 1
                continue
            read_lags.append((projected - answered) * 1000)
            hook_lags.append((delivered - answered) * 1000)
        client.close()
    projected_row = report.add(
        latency_rows("command answered -> every read model has it", read_lags, READ_MODEL_P99_MS)
    )
    if lost:
        projected_row.met = False  # an effect that never came is worse than any slow one
    report.add(latency_rows("command answered -> webhook delivered", hook_lags))
    report.notes.append(f"{topology}; {commands} reports, one at a time")
    if lost:
        report.notes.append(f"{lost} effects did not arrive within {GIVE_UP_SECONDS:g} s")
    report.details = {"lost": lost}
    return report


def _settle(engine: Engine, names: list[str], timeout: float = 120) -> None:
    """Wait until every projection stands at the same position (start-up catch-up done)."""
    deadline = time.monotonic() + timeout
    previous = None
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            lowest = conn.execute(
                select(func.min(tracking.c.position)).where(tracking.c.name.in_(names))
            ).scalar()
        if lowest is not None and lowest == previous:
            return
        previous = lowest
        time.sleep(1.0)
    raise TimeoutError(f"the read models were still catching up after {timeout:g} s")


def _wait_projected(engine: Engine, names: list[str], head: int, timeout: float) -> float | None:
    """When every projection's position reached ``head``; polls the tracking rows every 2 ms."""
    deadline = time.monotonic() + timeout
    statement = select(func.count()).where(tracking.c.name.in_(names), tracking.c.position >= head)
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(statement).scalar_one() == len(names):
                return time.perf_counter()
        time.sleep(0.002)
    return None
