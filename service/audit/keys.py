"""The checkpoint signing key: read from a setting or a file, made on first start in embedded mode.

The private key never enters the database: whoever can rewrite the store must not be able to sign
a checkpoint over the rewritten log.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from projections.signed_note import NoteError, NoteSigner, NoteVerifier
from service.settings import Settings

log = logging.getLogger(__name__)


class AuditKeyError(Exception):
    """The configured signing key cannot be used."""


def write_key_files(signer: NoteSigner, path: Path) -> Path:
    """Write the private key (mode 0600) and its public key beside it as ``.pub``; returns that."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as private:
        private.write(signer.private_key + "\n")
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT
    public = path.with_name(path.name + ".pub")
    public.write_text(signer.verifier.verifier_key + "\n")
    return public


def default_origin(settings: Settings) -> str:
    """The log's name when none is configured: the service's host and port, then /k2k."""
    return settings.audit_origin or f"{urlsplit(settings.public_url).netloc or 'k2k'}/k2k"


def _embedded_default(
    settings: Settings, configured: str | None = None, name: str = "audit.key"
) -> bool:
    # Only embedded mode's own default files may be missing (and the key made): a production key
    # file that is not there is a deployment mistake, and a silently new key would break every
    # auditor's trust.
    configured = settings.audit_key_file if configured is None else configured
    return settings.embedded and configured == str(Path(settings.data_dir) / name)


def ensure_embedded_key(settings: Settings) -> Path | None:
    """Embedded mode, first start: make the default key file; returns its public key's path."""
    if settings.audit_key or not settings.audit_key_file or not _embedded_default(settings):
        return None
    path = Path(settings.audit_key_file)
    if path.exists():
        return path.with_name(path.name + ".pub")
    public = write_key_files(NoteSigner.generate(default_origin(settings)), path)
    log.warning("made a new audit signing key %s; its public key is in %s", path, public)
    return public


def load_signer(settings: Settings) -> NoteSigner | None:
    """The signer the settings name, or None when no key is configured (no checkpoints).

    Embedded mode's default key file that does not exist yet means no key: ``k2k serve`` makes
    it (``ensure_embedded_key``), so tests and one-off commands never leave key files behind.
    """
    try:
        if settings.audit_key:
            return NoteSigner.from_private_key(settings.audit_key.strip())
        if not settings.audit_key_file:
            return None
        path = Path(settings.audit_key_file)
        if not path.exists():
            if _embedded_default(settings):
                return None
            raise AuditKeyError(f"K2K_AUDIT_KEY_FILE {path} does not exist")
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("the audit key file %s is readable by others: chmod 600 it", path)
        return NoteSigner.from_private_key(path.read_text().strip())
    except NoteError as error:
        raise AuditKeyError(f"the audit signing key is not usable: {error}") from error


def load_verifier(settings: Settings, signer: NoteSigner | None) -> NoteVerifier | None:
    """The key checkpoints are checked with: the signer's own, else the configured public key.

    A web process in production has no private key; it still needs the public one to name the
    log and to serve only checkpoints that really are signed by it.
    """
    if signer is not None:
        return signer.verifier
    text = settings.audit_public_key
    if not text and settings.audit_public_key_file:
        path = Path(settings.audit_public_key_file)
        if path.exists():
            text = next(
                (
                    line.strip()
                    for line in path.read_text().splitlines()
                    if line.strip() and not line.startswith("#")
                ),
                None,
            )
        elif not _embedded_default(settings, settings.audit_public_key_file, "audit.key.pub"):
            raise AuditKeyError(f"K2K_AUDIT_PUBLIC_KEY_FILE {path} does not exist")
    if not text:
        return None
    try:
        return NoteVerifier.from_verifier_key(text)
    except NoteError as error:
        raise AuditKeyError(f"the audit public key is not usable: {error}") from error


def signed_file(settings: Settings) -> Path:
    """Where the signer keeps the last checkpoint it signed (beside its key, not in the store)."""
    if settings.audit_signed_file:
        return Path(settings.audit_signed_file)
    if settings.audit_key_file and not settings.audit_key:
        return Path(settings.audit_key_file + ".signed")
    return Path(settings.data_dir) / "audit.signed"
