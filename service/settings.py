"""Configuration from environment variables (all optional; the defaults run embedded on SQLite)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DATA_DIR = "var"
#: The largest photo upload accepted: a phone's full-size JPEG is 2-8 MiB.
DEFAULT_PHOTO_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment.

    ``database_url`` is the one storage setting: a SQLite URL keeps the events and the read models
    in two files side by side (the library's SQLite tables have fixed names, so the event store gets
    its own file); a PostgreSQL URL keeps both in that database.
    """

    database_url: str
    data_dir: str = DEFAULT_DATA_DIR
    redis_url: str | None = None
    background: bool = True
    projection_interval: float = 0.5
    autoclose_interval: float = 300.0
    pseudonym_key: str = "k2k-dev-pseudonym-key"
    postgres_pool_size: int = 5
    response_key: str = "k2k-dev-response-key"
    public_url: str = "http://127.0.0.1:8000"
    queue_prefix: str = "k2k"
    relay_interval: float = 0.5
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "starttls"
    smtp_from: str = "K2K Co-Manage <noreply@k2k.invalid>"
    sms_url: str | None = None
    sms_key: str | None = None
    sms_sender: str = "K2K"
    outbox_dir: str | None = None
    digest_hour: int = 8
    delivery_lease_seconds: float = 120.0
    secrets_key: str = "k2k-dev-secrets-key"
    webhook_allow_loopback: bool = False
    webhook_disable_after_days: float = 5.0
    webhook_timeout_seconds: float = 15.0
    audit_key: str | None = None
    audit_key_file: str | None = None
    audit_origin: str | None = None
    audit_public_key: str | None = None
    audit_public_key_file: str | None = None
    audit_signed_file: str | None = None
    audit_checkpoint_events: int = 1000
    audit_checkpoint_seconds: float = 60.0
    trusted_proxies: int = 0
    photo_max_bytes: int = DEFAULT_PHOTO_MAX_BYTES
    #: None: ``<data_dir>/photos``.
    photo_dir: str | None = None
    photo_s3_bucket: str | None = None
    photo_s3_endpoint_url: str | None = None
    photo_s3_region: str | None = None
    photo_s3_prefix: str = "photos/"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``K2K_*`` variables."""
        env = os.environ if env is None else env
        data_dir = env.get("K2K_DATA_DIR", DEFAULT_DATA_DIR)
        default_url = f"sqlite:///{Path(data_dir) / 'k2k.sqlite'}"
        return cls(
            database_url=env.get("K2K_DATABASE_URL", default_url),
            data_dir=data_dir,
            redis_url=env.get("K2K_REDIS_URL") or None,
            background=_flag(env.get("K2K_BACKGROUND"), default=True),
            projection_interval=float(env.get("K2K_PROJECTION_INTERVAL", "0.5")),
            autoclose_interval=float(env.get("K2K_AUTOCLOSE_INTERVAL", "300")),
            pseudonym_key=env.get("K2K_PSEUDONYM_KEY", "k2k-dev-pseudonym-key"),
            postgres_pool_size=int(env.get("POSTGRES_POOL_SIZE", "5")),
            response_key=env.get("K2K_RESPONSE_KEY", "k2k-dev-response-key"),
            public_url=env.get("K2K_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            queue_prefix=env.get("K2K_QUEUE_PREFIX", "k2k"),
            relay_interval=float(env.get("K2K_RELAY_INTERVAL", "0.5")),
            smtp_host=env.get("K2K_SMTP_HOST") or None,
            smtp_port=int(env.get("K2K_SMTP_PORT", "587")),
            smtp_user=env.get("K2K_SMTP_USER") or None,
            smtp_password=env.get("K2K_SMTP_PASSWORD") or None,
            smtp_security=env.get("K2K_SMTP_SECURITY", "starttls").lower(),
            smtp_from=env.get("K2K_SMTP_FROM", "K2K Co-Manage <noreply@k2k.invalid>"),
            sms_url=env.get("K2K_SMS_URL") or None,
            sms_key=env.get("K2K_SMS_KEY") or None,
            sms_sender=env.get("K2K_SMS_SENDER", "K2K"),
            # Embedded mode keeps a copy of every message as a file; production reads the API.
            outbox_dir=env.get("K2K_OUTBOX_DIR")
            or (None if env.get("K2K_REDIS_URL") else str(Path(data_dir) / "outbox")),
            digest_hour=int(env.get("K2K_DIGEST_HOUR", "8")),
            delivery_lease_seconds=float(env.get("K2K_DELIVERY_LEASE_SECONDS", "120")),
            # Loopback targets are for a developer's own receiver: allowed by default only in
            # embedded mode (one machine, no Redis), never by default in production mode.
            webhook_allow_loopback=_flag(
                env.get("K2K_WEBHOOK_ALLOW_LOOPBACK"), default=not env.get("K2K_REDIS_URL")
            ),
            secrets_key=env.get("K2K_SECRETS_KEY", "k2k-dev-secrets-key"),
            webhook_disable_after_days=float(env.get("K2K_WEBHOOK_DISABLE_AFTER_DAYS", "5")),
            webhook_timeout_seconds=float(env.get("K2K_WEBHOOK_TIMEOUT_SECONDS", "15")),
            # The checkpoint signing key: its text, or a file holding it (never the database).
            # Embedded mode makes one beside the data on first start, so a demo signs too.
            audit_key=env.get("K2K_AUDIT_KEY") or None,
            audit_key_file=env.get("K2K_AUDIT_KEY_FILE")
            or (None if env.get("K2K_REDIS_URL") else str(Path(data_dir) / "audit.key")),
            audit_origin=env.get("K2K_AUDIT_ORIGIN") or None,
            # Web processes without the private key still name the log and check what they serve.
            audit_public_key=env.get("K2K_AUDIT_PUBLIC_KEY") or None,
            audit_public_key_file=env.get("K2K_AUDIT_PUBLIC_KEY_FILE")
            or (None if env.get("K2K_REDIS_URL") else str(Path(data_dir) / "audit.key.pub")),
            # What the signer last signed, kept outside the database: it never signs a fork of it.
            audit_signed_file=env.get("K2K_AUDIT_SIGNED_FILE") or None,
            audit_checkpoint_events=int(env.get("K2K_AUDIT_CHECKPOINT_EVENTS", "1000")),
            audit_checkpoint_seconds=float(env.get("K2K_AUDIT_CHECKPOINT_SECONDS", "60")),
            # Reverse proxies in front of gunicorn whose X-Forwarded-For/-Proto may be believed.
            trusted_proxies=int(env.get("K2K_TRUSTED_PROXIES", "0")),
            photo_max_bytes=int(env.get("K2K_PHOTO_MAX_BYTES", str(DEFAULT_PHOTO_MAX_BYTES))),
            photo_dir=env.get("K2K_PHOTO_DIR") or None,
            # With a bucket, photos go to S3-compatible storage (credentials: the standard AWS_*
            # variables, profiles or roles, never a K2K setting); without, to the local folder.
            photo_s3_bucket=env.get("K2K_PHOTO_S3_BUCKET") or None,
            photo_s3_endpoint_url=env.get("K2K_PHOTO_S3_ENDPOINT_URL") or None,
            photo_s3_region=env.get("K2K_PHOTO_S3_REGION") or None,
            photo_s3_prefix=env.get("K2K_PHOTO_S3_PREFIX", "photos/"),
        )

    @property
    def embedded(self) -> bool:
        """Whether jobs run in this process from the database (no Redis configured)."""
        return self.redis_url is None

    @property
    def photo_folder(self) -> Path:
        """Where the local photo store keeps its files."""
        return Path(self.photo_dir) if self.photo_dir else Path(self.data_dir) / "photos"

    @property
    def is_sqlite(self) -> bool:
        """Whether storage is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    @property
    def read_model_url(self) -> str:
        """SQLAlchemy URL of the read-model database."""
        url = self.database_url
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing library's environment for the same storage, sealing every record."""
        # Imported here: settings are read before anything heavy (the library) is loaded.
        from service.seal import SEAL_KEY_ENV, seal_key

        sealing = {
            "MAPPER_TOPIC": "service.seal:SealingMapper",
            "CIPHER_TOPIC": "service.seal:EventSeal",
            SEAL_KEY_ENV: seal_key(self.secrets_key).hex(),
        }
        if self.is_sqlite:
            path = Path(self.database_url.split("sqlite:///", 1)[1])
            path.parent.mkdir(parents=True, exist_ok=True)
            events = path.with_name(path.stem + ".events" + (path.suffix or ".sqlite"))
            return {
                "K2K_RESPONSE_KEY": self.response_key,
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(events),
                "SQLITE_LOCK_TIMEOUT": "10",
                **sealing,
            }
        parts = urlsplit(self.database_url)
        env = {
            "K2K_RESPONSE_KEY": self.response_key,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
            **sealing,
        }
        return env


def _flag(value: str | None, *, default: bool) -> bool:
    """A yes/no setting: 0, false, no and off are no; anything else is yes; unset is ``default``."""
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}
