"""The running service's parts, wired from settings: event store, read models, background threads."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from domain.application import K2K
from domain.perception import DEVELOPMENT_RESPONSE_KEY
from projections.database import create_tables, make_engine
from projections.engine import ProjectionRunner
from projections.registry import all_projections
from service.settings import Settings
from service.tables import create_service_tables

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The command side, the read-model database and the projection runner for one process."""

    settings: Settings
    app: K2K
    engine: Engine
    runner: ProjectionRunner
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        """Open (and if needed create) the storage that ``settings`` names."""
        if not settings.is_sqlite and settings.response_key == DEVELOPMENT_RESPONSE_KEY:
            log.warning(
                "K2K_RESPONSE_KEY is the public development key: set a secret one, or anyone "
                "with the database can tell whose survey answers are whose"
            )
        app = K2K(env=settings.event_store_env())
        engine = make_engine(settings.read_model_url, pool_size=settings.postgres_pool_size)
        create_tables(engine)
        create_service_tables(engine)
        runner = ProjectionRunner(app, engine, all_projections())
        return cls(settings=settings, app=app, engine=engine, runner=runner)

    def changed(self) -> None:
        """A command was recorded: let the embedded projection thread run now."""
        self.runner.wake.set()

    def start_background(self) -> None:
        """Embedded mode: projections, auto-close and key pruning in threads of this process."""
        if self._threads:
            return
        from service.idempotency import prune as prune_idempotency_keys
        from workers.autoclose import close_expired_resolutions

        def project() -> None:
            self.runner.run_forever(self._stop, self.settings.projection_interval)

        def maintain() -> None:
            while not self._stop.wait(self.settings.autoclose_interval):
                try:
                    close_expired_resolutions(self.app, self.engine)
                    prune_idempotency_keys(self.engine)
                except Exception:  # the next sweep retries; nothing is half-done
                    log.exception("maintenance sweep failed")

        for name, target in (("k2k-projections", project), ("k2k-maintenance", maintain)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        """Stop background threads and release connections."""
        self._stop.set()
        self.runner.wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self.engine.dispose()
        self.app.close()
