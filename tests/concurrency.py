"""Running work in threads released at the same moment, for tests of concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_at_once(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``work(0)`` .. ``work(count - 1)`` in threads released together; their outcomes."""
    barrier = threading.Barrier(count)
    outcomes: list[T | BaseException] = [RuntimeError("did not run")] * count

    def run(number: int) -> None:
        barrier.wait()
        try:
            outcomes[number] = work(number)
        except BaseException as error:
            outcomes[number] = error

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes
