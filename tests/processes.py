"""``k2k worker`` processes for tests that kill workers: each in a process group of its own.

rq's scheduler runs in a child process of the worker, so killing the worker alone would leave
the scheduler running after the test. A group of its own lets a test kill both at once, as a
machine that dies would, and always clean up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def kill_group(process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGKILL) -> None:
    """Send ``sig`` to the worker and every process it started, and wait for the worker."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    process.wait(10)


@contextmanager
def k2k_worker(env: dict[str, str], queue: str) -> Iterator[subprocess.Popen[bytes]]:
    """A ``k2k worker --queue QUEUE`` process, stopped (with its scheduler) on the way out."""
    k2k = str(Path(sys.executable).with_name("k2k"))
    process = subprocess.Popen([k2k, "worker", "--queue", queue], env=env, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            kill_group(process, signal.SIGTERM)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the scheduler, if it outlived the worker


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def k2k_server(env: dict[str, str], timeout: float = 90) -> Iterator[str]:
    """``k2k serve`` on a free port, as an operator runs it; yields its base URL once it answers."""
    import time
    import urllib.request

    port = free_port()
    k2k = str(Path(sys.executable).with_name("k2k"))
    process = subprocess.Popen(
        [k2k, "serve", "--port", str(port), "--threads", "4"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"k2k serve exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield url
    finally:
        if process.poll() is None:
            kill_group(process, signal.SIGTERM)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
