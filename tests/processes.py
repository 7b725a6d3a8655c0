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
