"""The service as its users meet it: gunicorn on 127.0.0.1, and clients that load it from threads.

Suites start the service the way production does (``gunicorn wsgi:app`` with sync workers and no
background threads in the web processes), so their figures include Flask, flask-smorest,
marshmallow, authentication and gunicorn, and nothing is measured in-process that a user would
meet over HTTP.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(database_url: str, data_dir: str | Path, **extra: str) -> dict[str, str]:
    """The environment of a service process on this storage: no demo, no threads unless asked."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("K2K_")}
    env.update(
        {
            "K2K_DATABASE_URL": database_url,
            "K2K_DATA_DIR": str(data_dir),
            "K2K_BACKGROUND": "0",
            "PYTHONOPTIMIZE": os.environ.get("PYTHONOPTIMIZE", ""),
        }
    )
    env.update(extra)
    return env


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Block until ``GET /healthz`` answers, or fail if the process died first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process group politely, then firmly."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(5)


@contextmanager
def gunicorn(env: Mapping[str, str], workers: int, log: Path | None = None) -> Iterator[str]:
    """``gunicorn wsgi:app`` with ``workers`` sync workers; yields its base URL once it answers."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "5",
        "wsgi:app",
    ]
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=dict(env),
        stdout=output,
        stderr=output,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        stop(process)
        if log:
            output.close()  # type: ignore[union-attr]


@contextmanager
def k2k_process(
    env: Mapping[str, str], *arguments: str, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A ``k2k ...`` process (projection runner, relay, worker), stopped on the way out."""
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    k2k = str(Path(sys.executable).with_name("k2k"))
    process = subprocess.Popen(
        [k2k, *arguments],
        cwd=ROOT,
        env=dict(env),
        stdout=output,
        stderr=output,
        start_new_session=True,
    )
    try:
        time.sleep(0.2)
        if process.poll() is not None:
            raise RuntimeError(f"k2k {' '.join(arguments)} exited with {process.returncode}")
        yield process
    finally:
        stop(process)
        if log:
            output.close()  # type: ignore[union-attr]


class ServiceError(RuntimeError):
    """The service answered a benchmark request with an unexpected status."""


class Client:
    """One user's connection: JSON in and out, a bearer token, the connection reused."""

    def __init__(self, url: str, token: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        """Send one request; returns the decoded JSON answer, or fails on another status."""
        payload = None if body is None else json.dumps(body)
        try:
            self.connection.request(method, path, body=payload, headers=self.headers)
        except (ConnectionResetError, BrokenPipeError):
            # The server closed an idle kept-alive connection before this request was sent:
            # nothing reached it, so sending again on a new connection is safe.
            self.connection.close()
            self.connection.request(method, path, body=payload, headers=self.headers)
        try:
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            # Sent, but no answer: a command may have been recorded, so only a read is repeated.
            self.connection.close()
            if method != "GET":
                raise
            self.connection.request(method, path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
        data = response.read()
        if response.status != expect:
            raise ServiceError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


@dataclass
class Load:
    """What a set of client threads did: operations done, their latencies, time taken, errors."""

    operations: int = 0
    seconds: float = 0.0
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Operations per second over the measured window."""
        return self.operations / self.seconds if self.seconds else 0.0


#: One client's work: called repeatedly with (client number, iteration, record) until time is up;
#: ``record(label, started)`` notes one operation's latency.
Work = Callable[[int, int, Callable[[str, float], None]], None]


def run_load(
    clients: int, seconds: float, work: Work, warmup: float = 1.0, most: int | None = None
) -> Load:
    """Run ``work`` from ``clients`` threads for ``warmup`` + ``seconds``; measure only the latter.

    Units of work that start during the warm-up (connections opening, caches filling) are not
    counted, those that start inside the window are counted whole; the window starts for every
    thread at the same moment. With ``most``,
    the clients stop once that many operations were measured (a smoke test needs a few).
    """
    load = Load()
    lock = threading.Lock()
    window_start = time.perf_counter() + warmup
    window_end = window_start + seconds

    def client(number: int) -> None:
        iteration, unit_started = 0, 0.0

        def record(label: str, started: float) -> None:
            finished = time.perf_counter()
            # Counted by when its unit of work started, so a unit (a case's whole life, say)
            # is measured whole or not at all: every step gets samples however slow the
            # machine, and a unit slower than the window still counts.
            if not window_start <= unit_started < window_end:
                return
            with lock:
                load.operations += 1
                load.latencies_ms.setdefault(label, []).append((finished - started) * 1000)

        try:
            while time.perf_counter() < window_end:
                if most is not None and load.operations >= most:
                    return
                unit_started = time.perf_counter()
                work(number, iteration, record)
                iteration += 1
        except Exception as error:  # a benchmark that hides failures measures the wrong thing
            with lock:
                load.errors.append(f"client {number}: {error}")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = seconds
    return load
