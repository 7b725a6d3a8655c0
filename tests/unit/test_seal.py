"""Event seals: a record's tag binds its id, version, topic and state under a key the database lacks."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import Environment

from domain.application import K2K
from projections.audit_leaf import leaf_data
from service.seal import (
    MAGIC,
    SEAL_KEY_ENV,
    EventSeal,
    SealingMapper,
    seal,
    seal_key,
    seal_status,
    unseal,
)
from service.settings import Settings
from tests.unit.world import ADMIN, PPR, FrozenClock

KEY = seal_key("the service's secret")
OTHER_KEY = seal_key("someone else's secret")
CASE = UUID("5b0f4c1e-8a57-4f62-9a53-2d1c0e6f7a88")
TOPIC = "domain.case:Case.Commented"
STATE = json.dumps({"text": "Lif blok A rosak", "internal": False}).encode()


def sealing_env() -> dict[str, str]:
    """An in-memory event store with the service's sealing settings."""
    env = Settings(database_url="postgresql://k2k@db.invalid/k2k", secrets_key="s3cret")
    store = env.event_store_env()
    return {
        "PERSISTENCE_MODULE": "eventsourcing.popo",
        **{name: store[name] for name in ("MAPPER_TOPIC", "CIPHER_TOPIC", SEAL_KEY_ENV)},
    }


@pytest.fixture
def sealing_app(clock: FrozenClock) -> Iterator[K2K]:
    """A K2K application that seals what it stores (in memory)."""
    app = K2K(env=sealing_env())
    try:
        yield app
    finally:
        app.close()


def test_the_seal_key_is_derived_from_the_secrets_key_with_its_own_label() -> None:
    derived = seal_key("the service's secret")

    assert (
        derived == hmac.new(b"the service's secret", b"k2k event seal v1", hashlib.sha256).digest()
    )
    assert derived != seal_key("the service's secret ")


def test_the_tag_is_an_hmac_of_the_audit_leaf_data_of_the_unsealed_record() -> None:
    sealed = seal(CASE, 3, TOPIC, STATE, KEY)

    data = leaf_data(str(CASE), 3, TOPIC, hashlib.sha256(STATE).digest())
    assert sealed == MAGIC + hmac.new(KEY, data, hashlib.sha256).digest() + STATE


def test_a_sealed_record_is_valid_under_its_key() -> None:
    sealed = seal(CASE, 3, TOPIC, STATE, KEY)

    assert seal_status(CASE, 3, TOPIC, sealed, KEY) == "valid"
    assert seal_status(str(CASE), 3, TOPIC, sealed, KEY) == "valid"


def test_a_record_without_the_prefix_is_absent_and_reads_unchanged() -> None:
    assert seal_status(CASE, 3, TOPIC, STATE, KEY) == "absent"
    assert unseal(STATE) == STATE


def test_the_prefix_can_never_begin_a_json_text() -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(MAGIC + b"{}")


def test_unsealing_gives_back_the_state_the_library_made() -> None:
    assert unseal(seal(CASE, 3, TOPIC, STATE, KEY)) == STATE


@pytest.mark.parametrize("position", [0, len(MAGIC), len(MAGIC) + 31, len(MAGIC) + 32, -1])
def test_changing_one_byte_of_a_sealed_state_makes_it_invalid_or_absent(position: int) -> None:
    sealed = bytearray(seal(CASE, 3, TOPIC, STATE, KEY))
    sealed[position] ^= 0x01

    # A changed prefix no longer claims a seal; anything else is a seal that does not match.
    assert seal_status(CASE, 3, TOPIC, bytes(sealed), KEY) == (
        "absent" if position == 0 else "invalid"
    )


def test_a_sealed_state_moved_to_another_version_topic_or_aggregate_is_invalid() -> None:
    sealed = seal(CASE, 3, TOPIC, STATE, KEY)

    assert seal_status(CASE, 4, TOPIC, sealed, KEY) == "invalid"
    assert seal_status(CASE, 3, "domain.case:Case.Resolved", sealed, KEY) == "invalid"
    assert seal_status(uuid4(), 3, TOPIC, sealed, KEY) == "invalid"


def test_a_tag_made_with_another_key_is_invalid() -> None:
    assert seal_status(CASE, 3, TOPIC, seal(CASE, 3, TOPIC, STATE, OTHER_KEY), KEY) == "invalid"


def test_a_record_forged_in_the_right_shape_without_the_key_is_never_valid() -> None:
    unkeyed = hashlib.sha256(leaf_data(str(CASE), 3, TOPIC, hashlib.sha256(STATE).digest()))
    copied_tag = seal(CASE, 2, TOPIC, STATE, KEY)[len(MAGIC) : len(MAGIC) + 32]
    forgeries = [
        MAGIC + bytes(32) + STATE,
        MAGIC + unkeyed.digest() + STATE,
        MAGIC + hmac.new(b"", unkeyed.digest(), hashlib.sha256).digest() + STATE,
        MAGIC + copied_tag + STATE,
        MAGIC + bytes(5),
        MAGIC,
    ]

    assert [seal_status(CASE, 3, TOPIC, forged, KEY) for forged in forgeries] == ["invalid"] * 6


def test_the_service_settings_seal_the_event_store_with_a_key_from_the_secrets_key(
    tmp_path: Path,
) -> None:
    for url in ("postgresql://k2k@db.invalid/k2k", f"sqlite:///{tmp_path}/k2k.sqlite"):
        env = Settings(database_url=url, secrets_key="s3cret").event_store_env()

        assert env["MAPPER_TOPIC"] == "service.seal:SealingMapper"
        assert env["CIPHER_TOPIC"] == "service.seal:EventSeal"
        assert bytes.fromhex(env[SEAL_KEY_ENV]) == seal_key("s3cret")


def test_an_application_with_the_sealing_settings_stores_sealed_records_and_reads_them(
    sealing_app: K2K,
) -> None:
    sealing_app.register_ppr(ADMIN, PPR, "PPR Sri Pelangi")
    sealing_app.add_block(ADMIN, PPR, "A", "Blok A", floors=17)

    records = sealing_app.recorder.select_notifications(start=1, limit=100)
    assert [
        seal_status(r.originator_id, r.originator_version, r.topic, r.state, seal_key("s3cret"))
        for r in records
    ] == ["valid", "valid"]
    assert list(sealing_app.get_ppr(PPR).blocks) == ["A"]


def test_the_seal_refuses_to_start_without_its_key() -> None:
    env = {**sealing_env(), SEAL_KEY_ENV: ""}

    with pytest.raises(ValueError, match=SEAL_KEY_ENV):
        K2K(env=env)


def test_the_sealing_mapper_refuses_to_start_without_the_seal_cipher() -> None:
    env = sealing_env()
    del env["CIPHER_TOPIC"]

    with pytest.raises(TypeError, match="CIPHER_TOPIC"):
        K2K(env=env)


def test_the_seal_cipher_encrypts_nothing_and_strips_seals_without_checking_them() -> None:
    cipher = EventSeal(Environment(env={SEAL_KEY_ENV: KEY.hex()}))

    assert cipher.key == KEY
    assert cipher.encrypt(STATE) == STATE
    assert cipher.decrypt(STATE) == STATE
    assert cipher.decrypt(seal(CASE, 3, TOPIC, STATE, OTHER_KEY)) == STATE


def test_the_application_is_built_with_the_sealing_mapper(sealing_app: K2K) -> None:
    assert isinstance(sealing_app.mapper, SealingMapper)
    assert sealing_app.mapper.key == seal_key("s3cret")
