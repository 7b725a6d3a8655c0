"""The running service's parts, wired from settings: event store, read models, background threads."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from domain.application import K2K
from domain.perception import DEVELOPMENT_RESPONSE_KEY
from projections.database import create_tables, make_engine
from projections.engine import ProjectionRunner
from projections.registry import all_projections
from projections.signed_note import NoteVerifier
from service.audit.checkpoints import Checkpointer, SignedMemory
from service.audit.keys import load_signer, load_verifier, signed_file
from service.settings import Settings
from service.tables import create_service_tables
from webhooks.deliveries import WebhookDeliverer
from webhooks.publisher import WebhookPublisher
from webhooks.replay import Replayer
from webhooks.tables import create_webhook_tables
from workers.context import WorkerContext, using
from workers.notifier import Notifier
from workers.queue import DatabaseJobQueue, JobQueue, RqJobQueue
from workers.relay import Relay
from workers.tables import create_notification_tables

if TYPE_CHECKING:
    from service.photos.store import PhotoStore

log = logging.getLogger(__name__)

DEVELOPMENT_SECRETS_KEY = "k2k-dev-secrets-key"
#: How often a process with the signing key looks whether a checkpoint is due.
CHECKPOINT_POLL_SECONDS = 2.0


@dataclass
class Runtime:
    """The command side, the read-model database and the projection runner for one process."""

    settings: Settings
    app: K2K
    engine: Engine
    runner: ProjectionRunner
    queue: JobQueue
    notifier: Notifier
    relay: Relay
    #: Where a request puts the jobs it needs (never Redis: a request handler does not talk to it).
    request_queue: DatabaseJobQueue
    webhooks: WebhookDeliverer
    replays: Replayer
    #: None when no audit signing key is configured: the tree grows, but nothing is signed.
    checkpointer: Checkpointer | None = None
    #: The key checkpoints are checked with (the signer's, or the configured public key).
    audit_verifier: NoteVerifier | None = None
    #: Made on first use (``photos``); a test may set its own.
    photo_store: PhotoStore | None = None
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
        create_notification_tables(engine)
        create_webhook_tables(engine)
        runner = ProjectionRunner(app, engine, all_projections())
        queue = make_queue(settings, engine)
        from workers.channels import senders_from

        notifier = Notifier(app, engine, settings, queue, senders_from(settings))
        publisher = WebhookPublisher(app, engine, settings.public_url)
        webhooks = WebhookDeliverer(app, engine, settings, queue)
        replays = Replayer(app, engine, publisher, queue, settings.public_url)
        # Requests queue their jobs in the database; in production the relay moves them to rq.
        request_queue = (
            queue
            if isinstance(queue, DatabaseJobQueue)
            else DatabaseJobQueue(engine, lease_seconds=settings.delivery_lease_seconds)
        )
        relay = Relay(
            app,
            engine,
            notifier,
            queue,
            publisher=publisher,
            webhooks=webhooks,
            forward_request_jobs=request_queue is not queue,
        )
        relay.initialise()
        if not settings.embedded and settings.secrets_key == DEVELOPMENT_SECRETS_KEY:
            log.warning(
                "K2K_SECRETS_KEY is the public development key: set a secret one, or anyone "
                "with a copy of the database can forge webhook deliveries"
            )
        if settings.delivery_lease_seconds <= settings.webhook_timeout_seconds:
            log.warning(
                "K2K_DELIVERY_LEASE_SECONDS (%s) is not longer than K2K_WEBHOOK_TIMEOUT_SECONDS "
                "(%s): a slow receiver may get one delivery twice at once",
                settings.delivery_lease_seconds,
                settings.webhook_timeout_seconds,
            )
        if settings.webhook_allow_loopback and not settings.embedded:
            log.warning(
                "K2K_WEBHOOK_ALLOW_LOOPBACK is on in production mode: webhook subscriptions may "
                "target this machine's own services; use it for development only"
            )
        signer = load_signer(settings)
        audit_verifier = load_verifier(settings, signer)
        checkpointer = None
        if signer is None:
            log.info(
                "no audit signing key (K2K_AUDIT_KEY_FILE or K2K_AUDIT_KEY): this process "
                "signs no checkpoints; make a key with k2k audit keygen"
            )
        else:
            checkpointer = Checkpointer(
                app,
                engine,
                runner,
                signer,
                every_events=settings.audit_checkpoint_events,
                every_seconds=settings.audit_checkpoint_seconds,
                memory=SignedMemory(signed_file(settings), signer),
            )
        return cls(
            settings=settings,
            app=app,
            engine=engine,
            runner=runner,
            queue=queue,
            notifier=notifier,
            relay=relay,
            request_queue=request_queue,
            webhooks=webhooks,
            replays=replays,
            checkpointer=checkpointer,
            audit_verifier=audit_verifier,
        )

    @property
    def photos(self) -> PhotoStore:
        """Where photo bytes are kept: S3 when a bucket is configured, else the local folder."""
        if self.photo_store is None:
            # Imported here: Pillow and boto3 load only in processes that handle photos.
            from service.photos.store import photo_store_from

            self.photo_store = photo_store_from(self.settings)
        return self.photo_store

    def worker_context(self) -> WorkerContext:
        """What this process's jobs use."""
        return WorkerContext(
            self.app,
            self.engine,
            self.settings,
            self.queue,
            self.notifier,
            self.webhooks,
            self.replays,
        )

    def run_embedded_jobs(self) -> int:
        """Embedded mode: run every job that is due now; returns how many ran."""
        assert isinstance(self.queue, DatabaseJobQueue)
        with using(self.worker_context()):
            return self.queue.run_due()

    def changed(self) -> None:
        """A command was recorded: let the embedded projection and relay threads run now."""
        self.runner.wake.set()
        self.relay.wake.set()

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
                    if isinstance(self.queue, DatabaseJobQueue):
                        self.queue.prune()
                except Exception:  # the next sweep retries; nothing is half-done
                    log.exception("maintenance sweep failed")

        def relay() -> None:
            self.relay.run_forever(self._stop, self.settings.relay_interval)

        def jobs() -> None:
            # Embedded mode's worker: the same job functions rq would run, from the jobs table.
            while not self._stop.is_set():
                try:
                    ran = self.run_embedded_jobs()
                except Exception:  # a job's own failure is recorded by the queue; this is the DB
                    log.exception("embedded job runner failed; retrying")
                    ran = 0
                if not ran and isinstance(self.queue, DatabaseJobQueue):
                    self.queue.enqueued.wait(self.settings.relay_interval)
                    self.queue.enqueued.clear()

        threads: list[tuple[str, Callable[[], None]]] = [
            ("k2k-projections", project),
            ("k2k-maintenance", maintain),
            ("k2k-relay", relay),
        ]
        checkpointer = self.checkpointer
        if checkpointer is not None:
            threads.append(
                ("k2k-audit", lambda: checkpointer.run_forever(self._stop, CHECKPOINT_POLL_SECONDS))
            )
        if self.settings.embedded:
            threads.append(("k2k-jobs", jobs))
        for name, target in threads:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        """Stop background threads and release connections."""
        self._stop.set()
        self.runner.wake.set()
        self.relay.wake.set()
        if isinstance(self.queue, DatabaseJobQueue):
            self.queue.enqueued.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self.engine.dispose()
        self.app.close()
        if isinstance(self.queue, RqJobQueue):
            self.queue.connection.close()


def make_queue(settings: Settings, engine: Engine) -> JobQueue:
    """rq on Redis when ``K2K_REDIS_URL`` is set, else the embedded jobs table."""
    if settings.redis_url:
        import redis

        connection = redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, socket_timeout=5
        )
        return RqJobQueue(connection, settings.queue_prefix)
    return DatabaseJobQueue(engine, lease_seconds=settings.delivery_lease_seconds)
