"""Signed notes and checkpoints in the format outside witnesses and tools read."""

from __future__ import annotations

import hashlib

import pytest

from projections.signed_note import (
    NoteError,
    NoteSigner,
    NoteVerifier,
    checkpoint_text,
    parse_checkpoint,
)

# The reference vector of Go's golang.org/x/mod/sumdb/note (note_test.go and the package's doc
# comment): its private key, its verifier key, and the note it signs. Ed25519 is deterministic,
# so our signature of the same text must be the very same bytes.
PRIVATE_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
NOTE = (
    TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_our_signature_of_the_reference_text_is_the_reference_note() -> None:
    signer = NoteSigner.from_private_key(PRIVATE_KEY)
    assert signer.verifier.verifier_key == VERIFIER_KEY
    assert signer.private_key == PRIVATE_KEY
    assert signer.sign(TEXT) == NOTE


def test_the_reference_note_opens_with_the_reference_verifier_key() -> None:
    assert NoteVerifier.from_verifier_key(VERIFIER_KEY).open(NOTE) == TEXT


@pytest.mark.parametrize(
    "forged",
    [
        NOTE.replace("cryptography", "cryptographY", 1),  # the text changed
        NOTE.replace("x08go", "x08gp", 1),  # the signature changed
        NOTE.replace("PeterNeumann x08", "PeterNeuman x08", 1),  # another key's name
        TEXT,  # no signature at all
    ],
)
def test_a_changed_or_unsigned_note_does_not_open(forged: str) -> None:
    with pytest.raises(NoteError):
        NoteVerifier.from_verifier_key(VERIFIER_KEY).open(forged)


def test_a_note_does_not_open_with_another_key() -> None:
    other = NoteSigner.generate("PeterNeumann")
    with pytest.raises(NoteError):
        other.verifier.open(NOTE)


def test_a_new_key_signs_checkpoints_that_its_verifier_key_opens() -> None:
    signer = NoteSigner.generate("k2k.example/log")
    root = hashlib.sha256(b"some tree").digest()
    note = signer.sign(checkpoint_text("k2k.example/log", 42, root))
    verifier = NoteVerifier.from_verifier_key(signer.verifier.verifier_key)
    assert parse_checkpoint(verifier.open(note)) == ("k2k.example/log", 42, root)
    assert NoteSigner.from_private_key(signer.private_key) == signer


@pytest.mark.parametrize(
    "text",
    [
        "k2k.example/log\n042\nAAAA\n",  # a leading zero
        "k2k.example/log\n-1\n" + "A" * 43 + "=\n",  # negative
        "k2k.example/log\n7\nnot base64\n",
        "k2k.example/log\n7\nAAAA\n",  # a root that is not 32 bytes
        "k2k.example/log\n7\n",  # no root line
        "\n7\n" + "A" * 43 + "=\n",  # no origin
    ],
)
def test_a_malformed_checkpoint_is_refused(text: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    "key",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # a wrong id
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # a space
        "PeterNeumann+c74f20a3+AhpcQ==",  # not an Ed25519 key
        "PeterNeumann+c74f20a3",
    ],
)
def test_a_malformed_verifier_key_is_refused(key: str) -> None:
    with pytest.raises(NoteError):
        NoteVerifier.from_verifier_key(key)


def test_a_text_the_format_cannot_carry_is_not_signed() -> None:
    signer = NoteSigner.generate("k2k.example/log")
    for text in ("no final newline", "a blank\n\nline\n"):
        with pytest.raises(NoteError):
            signer.sign(text)
