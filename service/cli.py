"""The ``k2k`` command line: serve, tokens, demo data, projections, relay, workers, webhooks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from domain.actors import Role
from domain.errors import DomainError
from service.audit.export import export_command
from service.audit.verify import verify_command
from service.runtime import Runtime
from service.settings import Settings

ISSUABLE = [role.value for role in Role if role is not Role.SYSTEM]


@contextmanager
def _runtime() -> Iterator[Runtime]:
    # Commands run once and exit: no projection or auto-close threads.
    runtime = Runtime.from_settings(replace(Settings.from_env(), background=False))
    try:
        yield runtime
    finally:
        runtime.close()


def _demo_tokens_file(settings: Settings) -> Path:
    return Path(settings.data_dir) / "demo-tokens.json"


@click.group()
def main() -> None:
    """K2K Co-Manage: co-management of PPR public housing."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="gunicorn processes")
@click.option("--threads", default=8, show_default=True, type=int, help="threads per process")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the API with gunicorn (embedded mode runs projections in the same process)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("accesslog", "-")
            self.cfg.set("graceful_timeout", 10)

        def load(self) -> Any:
            from service import create_served_app

            return create_served_app()

    from service.audit.keys import ensure_embedded_key

    public_key = ensure_embedded_key(Settings.from_env())
    click.echo(
        f"K2K Co-Manage on http://{host}:{port}  (API docs: http://{host}:{port}/api/v1/docs)"
    )
    if public_key is not None:
        click.echo(f"audit log signed with the key in {public_key} (k2k audit verify checks it)")
    Server().run()


@main.group()
def tokens() -> None:
    """Issue and revoke API tokens."""


@tokens.command("create")
@click.option("--role", required=True, type=click.Choice(ISSUABLE))
@click.option(
    "--ppr", "pprs", required=True, multiple=True, help="PPR code (repeat), or '*' for all"
)
@click.option("--name", required=True, help="Who or what the token is for")
@click.option("--principal-id", default=None, help="Reuse a person's id (a second device)")
def create_token(role: str, pprs: tuple[str, ...], name: str, principal_id: str | None) -> None:
    """Issue a token and print it once (only its hash is stored)."""
    from service.tokens.store import issue_token

    with _runtime() as runtime:
        try:
            token, principal = issue_token(
                runtime.engine,
                runtime.app,
                role=Role(role),
                name=name,
                ppr_codes=list(pprs),
                principal_id=principal_id,
            )
        except DomainError as error:
            raise click.ClickException(str(error)) from error
    click.echo(token)
    click.echo(
        f"# {principal.role.value} {principal.name!r} ({principal.principal_id}) "
        f"for {', '.join(principal.ppr_codes)}; token id {principal.token_id}",
        err=True,
    )


@tokens.command("revoke")
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke a token by its id."""
    from service.tokens.store import revoke_token

    with _runtime() as runtime:
        if not revoke_token(runtime.engine, token_id):
            raise click.ClickException(f"no active token {token_id}")
    click.echo(f"revoked {token_id}")


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (but print the demo tokens) if data exists"
)
@click.option("--cases", default=300, show_default=True, type=int)
def load(if_empty: bool, cases: int) -> None:
    """Load two PPRs and a year of cases, and print a token per role."""
    from service.demo import load_demo, store_is_empty

    with _runtime() as runtime:
        tokens_file = _demo_tokens_file(runtime.settings)
        if not store_is_empty(runtime):
            if not if_empty:
                raise click.ClickException(
                    "the store is not empty; demo data goes into an empty store"
                )
            if tokens_file.exists():
                click.echo("Demo data is loaded already. Demo tokens:")
                _print_tokens(json.loads(tokens_file.read_text()))
            else:
                click.echo("The store has data; issue tokens with 'k2k tokens create'.")
            return
        click.echo(f"Loading demo data ({cases} cases over the past year)...")
        issued = load_demo(runtime, cases=cases)
        # A year of demo history is not news: notify only what happens from now on.
        runtime.relay.skip_to_head()
        tokens_file.parent.mkdir(parents=True, exist_ok=True)
        tokens_file.write_text(json.dumps(issued, indent=2))
        tokens_file.chmod(0o600)
    click.echo(f"Demo tokens (kept in {tokens_file}):")
    _print_tokens(issued)


def _print_tokens(issued: dict[str, str]) -> None:
    width = max(len(name) for name in issued)
    for name, token in issued.items():
        click.echo(f"  {name:<{width}}  {token}")


@main.group()
def projections() -> None:
    """Read models: status, rebuild, run."""


@projections.command("status")
def projection_status() -> None:
    """Show each projection's position and lag."""
    with _runtime() as runtime:
        for status in runtime.runner.status():
            updated = status.updated_at.isoformat() if status.updated_at else "never"
            click.echo(
                f"{status.name:<16} position {status.position:>9}  head {status.head:>9}  "
                f"lag {status.lag:>7}  updated {updated}"
            )


@projections.command("rebuild")
@click.argument("name", required=False)
def rebuild(name: str | None) -> None:
    """Drop and replay one read model (or all of them) from the start of the log."""
    with _runtime() as runtime:
        names = [name] if name else list(runtime.runner.projections)
        for each in names:
            try:
                runtime.runner.projection(each)
            except KeyError as error:
                raise click.ClickException(str(error.args[0])) from error
        label = f"rebuilding {name}" if name else f"rebuilding all {len(names)} read models"
        with click.progressbar(length=runtime.runner.head(), label=label) as bar:
            # One pass over the log feeds every read model being rebuilt.
            runtime.runner.rebuild_together(names, progress=bar.update)
    click.echo("done")


@projections.command("run")
@click.option("--interval", default=0.5, show_default=True, type=float)
def run_projections(interval: float) -> None:
    """Keep every read model caught up (a process of its own in production)."""
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _runtime() as runtime:
        click.echo("projections running; Ctrl-C to stop")
        checkpointer = runtime.checkpointer
        if checkpointer is not None:
            # The process that keeps the tree current signs it too (the key must be here).
            threading.Thread(
                target=checkpointer.run_forever, args=(stop,), name="k2k-audit", daemon=True
            ).start()
            click.echo(f"signing audit checkpoints as {checkpointer.origin}")
        try:
            runtime.runner.run_forever(stop, interval)
        except KeyboardInterrupt:
            stop.set()


@main.command()
@click.option("--interval", default=0.5, show_default=True, type=float)
def relay(interval: float) -> None:
    """Follow the event log and queue notification jobs (one process in production)."""
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _runtime() as runtime:
        where = runtime.settings.redis_url or "the embedded jobs table"
        click.echo(f"relay running from position {runtime.relay.position()} into {where}")
        try:
            runtime.relay.run_forever(stop, interval)
        except KeyboardInterrupt:
            stop.set()


@main.command()
@click.option(
    "--queue",
    "queues",
    multiple=True,
    type=click.Choice(["notifications", "sla", "digests", "webhooks"]),
    help="Queues to work (repeat; default all)",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run notification and webhook jobs from Redis (rq, with its scheduler for retries)."""
    from rq import SimpleWorker

    from workers.context import install
    from workers.queue import QUEUES, RqJobQueue

    with _runtime() as runtime:
        if not isinstance(runtime.queue, RqJobQueue):
            raise click.ClickException(
                "K2K_REDIS_URL is not set: embedded mode runs jobs inside 'k2k serve'"
            )
        install(runtime.worker_context())
        rq_queues = [runtime.queue.rq_queue(name) for name in (queues or QUEUES)]
        # SimpleWorker runs jobs in this process, so they share its database pools (a forked
        # work horse would inherit pools whose threads did not survive the fork).
        rq_worker = SimpleWorker(rq_queues, connection=runtime.queue.connection)
        rq_worker.work(with_scheduler=True, burst=burst)


@main.group()
def cases() -> None:
    """Case maintenance."""


@cases.command("autoclose")
def autoclose() -> None:
    """Close resolved cases whose dispute window has run out."""
    from workers.autoclose import close_expired_resolutions

    with _runtime() as runtime:
        runtime.runner.catch_up()
        closed = close_expired_resolutions(runtime.app, runtime.engine)
    click.echo(f"closed {closed} case(s)")


@main.group()
def webhooks() -> None:
    """Webhook subscriptions."""


@webhooks.command("list")
def list_webhooks() -> None:
    """List the subscriptions: id, state, target and event types."""
    from sqlalchemy import select

    from projections.webhook_subscriptions import webhook_subscriptions

    with _runtime() as runtime:
        runtime.runner.catch_up()
        with runtime.engine.connect() as conn:
            rows = conn.execute(
                select(webhook_subscriptions)
                .where(webhook_subscriptions.c.deleted.is_(False))
                .order_by(webhook_subscriptions.c.created_at)
            ).mappings()
            for row in rows:
                state = "on" if row["enabled"] else f"off ({row['disabled_reason']})"
                types = ",".join(row["event_types"])
                click.echo(f"{row['subscription_id']}  {state:<16} {row['url']}  {types}")


@webhooks.command("send-test")
@click.argument("subscription_id", type=click.UUID)
def send_test(subscription_id: Any) -> None:
    """Send a webhook.test event to a subscription now and print what the receiver answered."""
    from service.webhooks.queries import one_delivery

    with _runtime() as runtime:
        try:
            subscription = runtime.app.get_webhook_subscription(subscription_id)
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        if not subscription.receives:
            raise click.ClickException("the subscription is disabled: enable it first")
        delivery_id = runtime.webhooks.send_test(subscription, wait=True)
        delivery = one_delivery(runtime.engine, str(subscription_id), delivery_id)
    attempt = delivery["attempt_log"][-1] if delivery["attempt_log"] else {}
    code = attempt.get("status_code")
    latency = attempt.get("latency_ms")
    click.echo(
        f"webhook.test {delivery['message_id']} to {subscription.url}: "
        + (f"HTTP {code}" if code is not None else "no answer")
        + (f" in {latency:.0f} ms" if latency is not None else "")
        + (f" ({attempt['error']})" if attempt.get("error") else "")
    )
    if delivery["status"] != "succeeded":
        if delivery["status"] == "pending":
            click.echo("it will be retried on the Standard Webhooks schedule", err=True)
        raise SystemExit(1)


@main.group()
def audit() -> None:
    """The signed, verifiable event log."""


audit.add_command(export_command)
audit.add_command(verify_command)


@audit.command("keygen")
@click.option(
    "--origin",
    required=True,
    help="The log's name in its checkpoints, such as k2k.example.my/log (no spaces or '+')",
)
@click.option(
    "--out",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key (the public key goes beside it, as .pub)",
)
@click.option("--force", is_flag=True, help="Overwrite an existing key file")
def keygen(origin: str, path: Path, force: bool) -> None:
    """Make the Ed25519 key that signs checkpoints; print the public key auditors verify with.

    The private key goes to a file only the service reads (mode 0600), never to the database.
    """
    from projections.signed_note import NoteError, NoteSigner
    from service.audit.keys import write_key_files

    if path.exists() and not force:
        raise click.ClickException(f"{path} exists: keep it, or pass --force to replace it")
    try:
        signer = NoteSigner.generate(origin)
    except NoteError as error:
        raise click.ClickException(str(error)) from error
    public = write_key_files(signer, path)
    click.echo(signer.verifier.verifier_key)
    click.echo(f"# private key: {path} (keep it secret); public key: {public}", err=True)


@audit.command("sign")
def sign_checkpoint() -> None:
    """Sign a checkpoint now if any event is not yet covered, and print the latest checkpoint."""
    with _runtime() as runtime:
        checkpointer = runtime.checkpointer
        if checkpointer is None:
            raise click.ClickException(
                "no audit signing key: set K2K_AUDIT_KEY_FILE (make one with k2k audit keygen)"
            )
        checkpoint = checkpointer.sign_if_due(force=True) or checkpointer.latest()
        if checkpoint is None:
            raise click.ClickException("the log is empty: there is nothing to sign")
        click.echo(checkpoint.note, nl=False)
