"""What a job needs to do its work: the application, the database, the queue and the senders.

A job takes only ids, so it finds these here. The embedded runner and ``k2k worker`` install the
process's own context; a plain ``rq worker`` (which forks a fresh process per job) builds one from
the environment on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from domain.application import K2K

if TYPE_CHECKING:
    from service.settings import Settings
    from webhooks.deliveries import WebhookDeliverer
    from webhooks.replay import Replayer
    from workers.notifier import Notifier
    from workers.queue import JobQueue


@dataclass
class WorkerContext:
    """The parts a job uses."""

    app: K2K
    engine: Engine
    settings: Settings
    queue: JobQueue
    notifier: Notifier
    webhooks: WebhookDeliverer
    replays: Replayer


#: The process default, in a dict so that installing needs no ``global`` statement.
_installed: dict[str, WorkerContext] = {}
_scoped: ContextVar[WorkerContext | None] = ContextVar("k2k_worker_context", default=None)


def install(context: WorkerContext | None) -> None:
    """Make ``context`` the process's default (None removes it)."""
    if context is None:
        _installed.clear()
    else:
        _installed["default"] = context


@contextmanager
def using(context: WorkerContext) -> Iterator[None]:
    """Run the enclosed block (a job) with ``context``, whatever the process default is."""
    token = _scoped.set(context)
    try:
        yield
    finally:
        _scoped.reset(token)


def current() -> WorkerContext:
    """The context for the running job."""
    scoped = _scoped.get()
    if scoped is not None:
        return scoped
    if "default" not in _installed:
        from service.runtime import Runtime
        from service.settings import Settings

        install(Runtime.from_settings(Settings.from_env()).worker_context())
    return _installed["default"]
