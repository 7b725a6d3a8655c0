"""Event seals: an HMAC on every stored record, so a record forged in the database shows as such.

Someone who can write to the database but not read the service's secrets could append a
well-formed event row with SQL, and the audit tree would take it in like any other. So every
record the service writes carries a tag:

    tag = HMAC-SHA256(seal key, leaf_data(originator id, version, topic, SHA-256(state)))

where ``state`` is the JSON the library would have stored and ``leaf_data`` is the audit leaf's
encoding (``projections.audit_leaf``), so the tag binds the same four values a leaf does. The
stored state is ``MAGIC || tag || state``. ``MAGIC`` starts with a NUL byte, which no JSON text
can start with, so records written before sealing existed (no prefix) still read as before.

The seal key is derived from ``K2K_SECRETS_KEY``, which the database never holds. It reaches
the library's mapper through the library's own hooks: ``EventSeal`` is configured as the
"cipher" (``CIPHER_TOPIC``; a cipher is the one part the library builds from the environment,
here ``K2K_EVENT_SEAL_KEY``), and ``SealingMapper`` (``MAPPER_TOPIC``) adds the seal, since only
the mapper sees a record's id, version and topic. Reading never verifies: a tampered record must
not stop the service, and telling valid, absent and invalid seals apart is the audit's job.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol, TAggregateID
from eventsourcing.persistence import Cipher, Compressor, Mapper, StoredEvent, Transcoder
from eventsourcing.utils import Environment

from projections.audit_leaf import leaf_data

#: What a sealed state starts with (then the 32-byte tag, then the state as the library made it).
MAGIC = b"\x00k2k-seal-1\x00"
TAG_SIZE = 32
#: The environment variable that carries the seal key (hex) to ``EventSeal``.
SEAL_KEY_ENV = "K2K_EVENT_SEAL_KEY"

SealStatus = Literal["valid", "absent", "invalid"]

_SEAL_KEY_LABEL = b"k2k event seal v1"


def seal_key(secrets_key: str) -> bytes:
    """The seal key derived from ``K2K_SECRETS_KEY`` (kept apart from its other uses)."""
    return hmac.new(secrets_key.encode(), _SEAL_KEY_LABEL, hashlib.sha256).digest()


def seal_tag(
    originator_id: UUID | str, version: int, topic: str, state: bytes, key: bytes
) -> bytes:
    """The tag of a record whose unsealed state is ``state``."""
    data = leaf_data(str(originator_id), version, topic, hashlib.sha256(state).digest())
    return hmac.new(key, data, hashlib.sha256).digest()


def seal(originator_id: UUID | str, version: int, topic: str, state: bytes, key: bytes) -> bytes:
    """The sealed state of a record: ``MAGIC || tag || state``."""
    return MAGIC + seal_tag(originator_id, version, topic, state, key) + state


def unseal(state: bytes) -> bytes:
    """The state without its seal (unchanged if it has none); never checks the tag."""
    if state.startswith(MAGIC) and len(state) >= len(MAGIC) + TAG_SIZE:
        return state[len(MAGIC) + TAG_SIZE :]
    return state


def seal_status(
    originator_id: UUID | str, version: int, topic: str, state: bytes, key: bytes
) -> SealStatus:
    """Whether a stored record's seal is valid, absent (a legacy record) or invalid."""
    if not state.startswith(MAGIC):
        return "absent"
    tag = state[len(MAGIC) : len(MAGIC) + TAG_SIZE]
    if len(tag) != TAG_SIZE:
        return "invalid"
    expected = seal_tag(originator_id, version, topic, state[len(MAGIC) + TAG_SIZE :], key)
    return "valid" if hmac.compare_digest(tag, expected) else "invalid"


class EventSeal(Cipher):
    """The library's cipher hook, used to carry the seal key to the mapper and to strip seals.

    It encrypts nothing: ``encrypt`` returns its input, and ``decrypt`` removes a seal prefix if
    there is one, without checking it.
    """

    def __init__(self, environment: Environment) -> None:
        """Read the seal key (hex) from ``K2K_EVENT_SEAL_KEY``."""
        value = environment.get(SEAL_KEY_ENV)
        if not value:
            raise ValueError(f"{SEAL_KEY_ENV} is not set: the event seal needs a key")
        self.key = bytes.fromhex(value)

    def encrypt(self, plaintext: bytes) -> bytes:
        """Return the state unchanged (``SealingMapper`` seals it once it knows the record)."""
        return plaintext

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Return the state without its seal."""
        return unseal(ciphertext)


class SealingMapper(Mapper[TAggregateID]):
    """The library's mapper, with a seal on every record it turns into a stored one."""

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        """Take the key from the ``EventSeal`` cipher (``CIPHER_TOPIC`` must name it)."""
        if not isinstance(cipher, EventSeal):
            raise TypeError(
                f"SealingMapper needs CIPHER_TOPIC={EventSeal.__module__}:{EventSeal.__name__}"
            )
        super().__init__(transcoder, compressor=compressor, cipher=cipher)
        self.key = cipher.key

    def to_stored_event(self, domain_event: DomainEventProtocol[TAggregateID]) -> StoredEvent:
        """The stored record of ``domain_event``, sealed."""
        stored = super().to_stored_event(domain_event)
        return StoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=seal(
                stored.originator_id,
                stored.originator_version,
                stored.topic,
                stored.state,
                self.key,
            ),
        )
