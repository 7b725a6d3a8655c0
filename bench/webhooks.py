"""webhooks: the relay with subscriptions, and deliveries next to bare HTTP POSTs.

On two copies of the dataset, in the same run: the relay catching up from 0 with no subscription,
and again with ``subscriptions`` subscriptions to every event (deliveries planned and queued);
then the first ``deliveries`` deliveries made one after another to a receiver on 127.0.0.1, as
their job makes them (claim, sign, SSRF check, POST, record the attempt); and, as the floor, the
same number of bare ``http.client`` POSTs of the same body to that receiver.
"""

from __future__ import annotations

import http.client
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import func, select, update

from bench.commands import live_cases
from bench.common import Report, Row, ratio_row, runtime_on
from bench.datasets import Dataset, cast_of, working_copy
from domain.actors import Actor, Role
from projections.engine import tracking
from service.runtime import Runtime
from webhooks.keys import box_for
from webhooks.subscriptions import subscribe
from webhooks.tables import webhook_deliveries
from workers.relay import RELAY_NAME

ADMIN = Actor("admin", Role.ADMIN)


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log."""


@contextmanager
def receiver() -> Iterator[int]:
    """A receiver on 127.0.0.1 that answers 204 to everything; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def bare_posts(port: int, count: int, body: bytes) -> float:
    """Seconds for ``count`` POSTs, one connection each (as deliveries make them)."""
    started = time.perf_counter()
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        conn.request("POST", "/hook", body=body, headers={"Content-Type": "application/json"})
        conn.getresponse().read()
        conn.close()
    return time.perf_counter() - started


def _relay_over(runtime: Runtime, since: int) -> float:
    """Events per second of the relay catching up over the log after position ``since``."""
    with runtime.engine.begin() as conn:
        conn.execute(update(tracking).where(tracking.c.name == RELAY_NAME).values(position=since))
    # Counted, not subtracted: PostgreSQL notification ids can have gaps.
    events = len(
        runtime.app.recorder.select_notifications(
            start=since, limit=10**9, inclusive_of_start=False
        )
    )
    started = time.perf_counter()
    runtime.relay.catch_up()
    return events / (time.perf_counter() - started)


def _subscribe(runtime: Runtime, port: int, count: int) -> None:
    for number in range(count):
        subscribe(
            runtime.app,
            runtime.engine,
            ADMIN,
            url=f"http://127.0.0.1:{port}/hook/{number}",
            event_types=["*"],
            ppr_codes=[],
            description=f"bench receiver {number}",
            box=box_for(runtime.settings.secrets_key),
        )
    runtime.runner.catch_up()


def run(
    dataset: Dataset, subscriptions: int = 3, cases: int = 200, deliveries: int = 1_000
) -> Report:
    """Measure the relay without and with subscriptions, and deliveries against bare POSTs.

    Subscriptions see only what happens after they are made, so on each copy ``cases`` new
    cases are walked through their life after the subscriptions, and the relay is timed over
    those events.
    """
    if subscriptions < 1:
        raise ValueError("the webhooks suite needs at least one subscription")
    report = Report("webhooks", dataset.backend, dataset.events)
    with tempfile.TemporaryDirectory(prefix="k2k-bench-") as folder, receiver() as port:
        rates = []
        for count in (0, subscriptions):
            with working_copy(dataset, folder) as url, runtime_on(url, folder) as runtime:
                _subscribe(runtime, port, count)
                since = runtime.runner.head()
                live_cases(runtime, cast_of(runtime), cases)
                rates.append(_relay_over(runtime, since))
                if not count:
                    continue
                with runtime.engine.connect() as conn:
                    ids = list(
                        conn.execute(
                            select(webhook_deliveries.c.delivery_id)
                            .order_by(webhook_deliveries.c.delivery_id)
                            .limit(deliveries)
                        ).scalars()
                    )
                    body = conn.execute(select(webhook_deliveries.c.body).limit(1)).scalar_one()
                started = time.perf_counter()
                for delivery_id in ids:  # what each delivery job does, without the queue
                    runtime.webhooks.deliver(delivery_id)
                delivering = time.perf_counter() - started
                with runtime.engine.connect() as conn:
                    sent = conn.execute(
                        select(func.count())
                        .select_from(webhook_deliveries)
                        .where(webhook_deliveries.c.status == "succeeded")
                    ).scalar_one()
        bare = len(ids) / bare_posts(port, len(ids), body.encode())
    without, with_hooks = rates
    report.add(Row("relay, no subscriptions (baseline)", without, "events/s"))
    report.add(
        ratio_row(
            f"relay, {subscriptions} subscriptions to every event", with_hooks, "events/s", without
        )
    )
    report.add(Row("bare http.client POSTs (baseline)", bare, "POSTs/s"))
    report.add(ratio_row(f"deliveries, one at a time ({sent:,})", sent / delivering, "/s", bare))
    return report
