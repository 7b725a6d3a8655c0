"""What webhooks cost: the relay with subscriptions, and deliveries next to bare HTTP POSTs.

    python -m bench.webhooks [--backend sqlite|postgres] [--cases 300] [--subscriptions 3]
                             [--repeat 3]

Each run builds a fresh store (the relay benchmark's cases), then measures in the same run:
the relay catching up with no subscription and again (from 0, on a second store) with
``--subscriptions`` subscriptions to every event; making every delivery to a receiver on 127.0.0.1
one after another, as its job does (claim, sign, SSRF check, POST, record the attempt); and, as
the floor, the same number of bare ``http.client`` POSTs to that receiver. Medians of ``--repeat``.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg

from bench.relay import ADMIN, POSTGRES_ADMIN, read_log, seed
from service.runtime import Runtime
from service.settings import Settings
from webhooks.keys import box_for
from webhooks.subscriptions import subscribe


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


@contextmanager
def store(backend: str, folder: str) -> Iterator[Runtime]:
    """A fresh runtime on its own storage, dropped afterwards."""
    database = None
    if backend == "sqlite":
        url = f"sqlite:///{Path(folder) / f'bench-{uuid.uuid4().hex[:6]}.sqlite'}"
    else:
        database = f"k2k_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{database}"
    settings = replace(
        Settings(database_url=url, background=False),
        outbox_dir=str(Path(folder) / "outbox"),
        webhook_allow_loopback=True,
    )
    runtime = Runtime.from_settings(settings)
    try:
        yield runtime
    finally:
        runtime.close()
        if database:
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def one_run(backend: str, cases: int, subscriptions: int, port: int) -> dict[str, float]:
    """Figures of two fresh stores: one without subscriptions, one with."""
    with tempfile.TemporaryDirectory() as folder:
        with store(backend, folder) as plain:
            events = seed(plain, cases)
            started = time.perf_counter()
            plain.relay.catch_up()
            without = time.perf_counter() - started
        with store(backend, folder) as hooked:
            for number in range(subscriptions):
                subscribe(
                    hooked.app,
                    hooked.engine,
                    ADMIN,
                    url=f"http://127.0.0.1:{port}/hook/{number}",
                    event_types=["*"],
                    ppr_codes=[],
                    description=f"bench receiver {number}",
                    box=box_for(hooked.settings.secrets_key),
                )
            seed(hooked, cases)
            raw = read_log(hooked)
            started = time.perf_counter()
            hooked.relay.catch_up()
            relayed = time.perf_counter() - started
            from sqlalchemy import func, select

            from webhooks.tables import webhook_deliveries

            with hooked.engine.connect() as conn:
                ids = list(conn.execute(select(webhook_deliveries.c.delivery_id)).scalars())
            started = time.perf_counter()
            for delivery_id in ids:  # what each delivery job does, without the queue around it
                hooked.webhooks.deliver(delivery_id)
            delivering = time.perf_counter() - started
            with hooked.engine.connect() as conn:
                sent = conn.execute(
                    select(func.count())
                    .select_from(webhook_deliveries)
                    .where(webhook_deliveries.c.status == "succeeded")
                ).scalar_one()
                body = conn.execute(select(webhook_deliveries.c.body).limit(1)).scalar_one()
    bare = bare_posts(port, sent, body.encode())
    return {
        "events": events,
        "raw_events_per_s": events / raw,
        "relay_plain_per_s": events / without,
        "relay_hooked_per_s": events / relayed,
        "deliveries": sent,
        "deliveries_per_s": sent / delivering,
        "bare_posts_per_s": sent / bare,
    }


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--subscriptions", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with receiver() as port:
        runs = [
            one_run(args.backend, args.cases, args.subscriptions, port) for _ in range(args.repeat)
        ]
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(
        f"webhooks benchmark: {args.backend}, {args.cases} cases, "
        f"{args.subscriptions} subscriptions to *, median of {args.repeat}"
    )
    print(f"  events in the log             {median['events']:>9.0f}")
    print(f"  raw log read + decode         {median['raw_events_per_s']:>9.0f} events/s (baseline)")
    print(f"  relay, no subscriptions       {median['relay_plain_per_s']:>9.0f} events/s")
    print(
        f"  relay, with subscriptions     {median['relay_hooked_per_s']:>9.0f} events/s "
        f"({median['relay_hooked_per_s'] / median['relay_plain_per_s']:.2f} x without)"
    )
    print(f"  webhook deliveries made       {median['deliveries']:>9.0f}")
    print(
        f"  deliveries, one at a time     {median['deliveries_per_s']:>9.0f} /s "
        f"({median['deliveries_per_s'] / median['bare_posts_per_s']:.2f} x bare POSTs)"
    )
    print(f"  bare http.client POSTs        {median['bare_posts_per_s']:>9.0f} /s (baseline)")


if __name__ == "__main__":
    main()
