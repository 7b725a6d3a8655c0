"""Signed notes and tlog checkpoints (C2SP signed-note, tlog-checkpoint) with Ed25519 keys.

A checkpoint says "this log, at this size, has this root hash"; its signature lets anyone with
our public (verifier) key check that we said it. The formats are the ones Go's sumdb, Sigstore and
the transparency-dev witnesses use, so outside tools and witnesses read our checkpoints unchanged:

- a note is UTF-8 text ending in a newline, a blank line, then signature lines
  ``— <key name> <base64(4-byte key id || signature)>``;
- an Ed25519 key id is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key);
- a verifier key is ``<name>+<key id hex>+<base64(0x01 || public key)>``, a private key
  ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || seed)>``;
- a checkpoint's text is ``<origin>\\n<tree size>\\n<base64 root hash>\\n`` (extension lines may
  follow; we write none).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM_ED25519 = 1
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space start every signature line
PRIVATE_PREFIX = "PRIVATE+KEY+"


class NoteError(Exception):
    """A note, key or checkpoint is malformed, or no signature by the expected key verifies."""


def _check_name(name: str) -> str:
    # signed-note: a key name is non-empty and contains no Unicode spaces and no plus signs.
    if not name or "+" in name or any(character.isspace() for character in name):
        raise NoteError(f"{name!r} is not a key name: no spaces or '+', and not empty")
    return name


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte id of an Ed25519 key under ``name``."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALGORITHM_ED25519]) + public_key)
    return digest.digest()[:4]


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise NoteError("not valid base64") from error


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class NoteVerifier:
    """Checks notes signed by one key."""

    name: str
    public_key: bytes

    @classmethod
    def from_verifier_key(cls, text: str) -> NoteVerifier:
        """Read ``<name>+<key id>+<base64 key>``, checking that the id belongs to the key."""
        parts = text.strip().split("+", 2)  # base64 may hold '+': the name and id may not
        if len(parts) != 3:
            raise NoteError("a verifier key is <name>+<key id>+<base64 key>")
        name, hex_id, encoded = parts
        raw = _b64decode(encoded)
        if len(raw) != 33 or raw[0] != ALGORITHM_ED25519:
            raise NoteError("only Ed25519 verifier keys (algorithm 1) are supported")
        verifier = cls(_check_name(name), raw[1:])
        if verifier.key_id.hex() != hex_id.lower():
            raise NoteError("the verifier key's id does not match its name and key")
        return verifier

    @property
    def key_id(self) -> bytes:
        """This key's 4-byte id."""
        return key_id(self.name, self.public_key)

    @property
    def verifier_key(self) -> str:
        """The text form others are given to check our notes."""
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def open(self, note: str) -> str:
        """The note's text, if this key signed it; NoteError otherwise (also if malformed)."""
        text, signatures = split_note(note)
        public = Ed25519PublicKey.from_public_bytes(self.public_key)
        for name, blob in signatures:
            if name != self.name or len(blob) != 68 or blob[:4] != self.key_id:
                continue
            try:
                public.verify(blob[4:], text.encode())
            except InvalidSignature:
                continue
            return text
        raise NoteError(f"no valid signature by {self.name} on this note")


@dataclass(frozen=True)
class NoteSigner:
    """Signs notes with one Ed25519 key."""

    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A new random key under ``name``."""
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        return cls(_check_name(name), seed)

    @classmethod
    def from_private_key(cls, text: str) -> NoteSigner:
        """Read ``PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>``."""
        if not text.strip().startswith(PRIVATE_PREFIX):
            raise NoteError("a private key starts with PRIVATE+KEY+")
        parts = text.strip()[len(PRIVATE_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise NoteError("a private key is PRIVATE+KEY+<name>+<key id>+<base64 key>")
        name, hex_id, encoded = parts
        raw = _b64decode(encoded)
        if len(raw) != 33 or raw[0] != ALGORITHM_ED25519:
            raise NoteError("only Ed25519 private keys (algorithm 1) are supported")
        signer = cls(_check_name(name), raw[1:])
        if signer.verifier.key_id.hex() != hex_id.lower():
            raise NoteError("the private key's id does not match its name and key")
        return signer

    @property
    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        return NoteVerifier(self.name, _raw_public(self._key.public_key()))

    @property
    def private_key(self) -> str:
        """The text form of this key (for a file readable by the service alone)."""
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.seed).decode()
        return f"{PRIVATE_PREFIX}{self.name}+{self.verifier.key_id.hex()}+{encoded}"

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which must end in a newline)."""
        check_text(text)
        signature = self._key.sign(text.encode())
        blob = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {blob}\n"


def check_text(text: str) -> None:
    """Refuse a note text that the format cannot carry."""
    if not text.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    if "\n\n" in text or text.startswith("\n"):
        raise NoteError("a note's text has no blank lines (a blank line starts the signatures)")


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A note's text and its (key name, decoded signature) pairs."""
    if not note.endswith("\n"):
        raise NoteError("a note ends with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("a note has a blank line before its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    check_text(text)
    signatures = []
    for line in block.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"not a signature line: {line[:60]!r}")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not name or not encoded or " " in encoded:
            raise NoteError(f"not a signature line: {line[:60]!r}")
        signatures.append((name, _b64decode(encoded)))
    if not signatures:
        raise NoteError("the note has no signatures")
    return text, signatures


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    """The body of a checkpoint (C2SP tlog-checkpoint)."""
    if not origin or "\n" in origin:
        raise NoteError("a checkpoint's origin is one non-empty line")
    if size < 0 or len(root) != 32:
        raise NoteError("a checkpoint has a size of 0 or more and a 32-byte root hash")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    """(origin, tree size, root hash) of a checkpoint's body."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint is origin, size and root hash, one per line")
    origin, size_text, encoded = lines[0], lines[1], lines[2]
    # tlog-checkpoint: the size is ASCII decimal with no leading zeros (0 itself excepted).
    if not size_text.isascii() or not size_text.isdigit() or size_text != str(int(size_text)):
        raise NoteError("a checkpoint's size is a decimal number without leading zeros")
    root = _b64decode(encoded)
    if not origin or len(root) != 32:
        raise NoteError("a checkpoint names its origin and has a 32-byte root hash")
    return origin, int(size_text), root
