"""The people store: entries made once, PPRs merged, contact points validated and erasable."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from domain.errors import InvalidValue, NotFound
from service.runtime import Runtime
from tests.concurrency import run_at_once
from workers.kinds import Kind
from workers.people import (
    Person,
    ensure_person,
    erase_contact_points,
    get_person,
    list_people,
    normalise_email,
    normalise_phone,
    people_in,
    update_person,
)


@pytest.fixture
def engine(runtime: Runtime) -> Engine:
    """The read-model database, where the people table lives."""
    return runtime.engine


def test_a_person_is_made_once_with_defaults_and_later_only_gains_pprs(engine: Engine) -> None:
    first = ensure_person(engine, "mgmt-1", "Pegawai DBKL", "management", ["srp"])
    update_person(engine, "mgmt-1", language="en", email="pegawai@dbkl.example.my")

    again = ensure_person(engine, "mgmt-1", "Another name", "management", ["SRP", "LSB"])

    assert first.language == "ms"
    assert first.digest is False
    assert first.channels == ("email", "sms")
    assert first.muted_kinds == ()
    assert again.name == "Pegawai DBKL"
    assert again.ppr_codes == ("SRP", "LSB")
    assert again.language == "en"
    assert again.email == "pegawai@dbkl.example.my"


def test_pprs_added_at_the_same_time_are_all_kept(engine: Engine) -> None:
    codes = [f"PPR{number}" for number in range(8)]

    outcomes = run_at_once(
        len(codes),
        lambda number: ensure_person(engine, "ajk-1", "Setiausaha", "committee", [codes[number]]),
    )

    assert all(isinstance(outcome, Person) for outcome in outcomes), outcomes
    person = get_person(engine, "ajk-1")
    assert person is not None
    assert sorted(person.ppr_codes) == codes


def test_the_people_of_a_ppr_are_found_by_role(engine: Engine) -> None:
    ensure_person(engine, "ajk-1", "Setiausaha", "committee", ["SRP"])
    ensure_person(engine, "mgmt-1", "Pegawai", "management", ["SRP", "LSB"])
    ensure_person(engine, "mgmt-2", "Pegawai LSB", "management", ["LSB"])
    ensure_person(engine, "resident-1", "Puan Aminah", "resident", ["SRP"])
    ensure_person(engine, "mgmt-3", "Pegawai SRPX", "management", ["SRPX"])

    found = people_in(engine, "SRP", ["committee", "management"])

    assert [person.principal_id for person in found] == ["ajk-1", "mgmt-1"]
    assert people_in(engine, "SRP", []) == []
    page = list_people(engine, ppr="LSB", limit=1)
    assert [person.principal_id for person in page] == ["mgmt-1"]
    assert [p.principal_id for p in list_people(engine, ppr="LSB", after="mgmt-1")] == ["mgmt-2"]


def test_a_muted_kind_is_not_wanted(engine: Engine) -> None:
    ensure_person(engine, "resident-1", "Puan Aminah", "resident", ["SRP"])

    person = update_person(engine, "resident-1", muted_kinds=[Kind.CASE_COMMENTED.value])

    assert not person.wants(Kind.CASE_COMMENTED)
    assert person.wants(Kind.CASE_RESPONDED)


def test_erasing_forgets_the_email_and_phone(engine: Engine) -> None:
    ensure_person(engine, "resident-1", "Puan Aminah", "resident", ["SRP"])
    update_person(engine, "resident-1", email="aminah@example.my", phone="0123456789")

    assert erase_contact_points(engine, "resident-1")
    person = get_person(engine, "resident-1")

    assert person is not None
    assert (person.email, person.phone) == (None, None)
    assert not erase_contact_points(engine, "nobody")


def test_changing_someone_unknown_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound):
        update_person(engine, "nobody", language="en")


def test_a_bad_change_names_its_field_and_changes_nothing(engine: Engine) -> None:
    ensure_person(engine, "resident-1", "Puan Aminah", "resident", ["SRP"])

    with pytest.raises(InvalidValue) as refused:
        update_person(engine, "resident-1", language="en", channels=["fax"])

    assert refused.value.field == "channels"
    person = get_person(engine, "resident-1")
    assert person is not None
    assert person.language == "ms"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("012-345 6789", "+60123456789"),
        ("011-2345 6789", "+601123456789"),
        ("+60 3-2345 6789", "+60323456789"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
    ],
)
def test_a_phone_number_is_normalised_to_e164(given: str, stored: str) -> None:
    assert normalise_phone(given) == stored


@pytest.mark.parametrize(
    "given", ["", "+", "1234567", "+1234567890123456", "012 345 678a", "+0123456789", "٠١٢٣٤٥٦٧٨٩"]
)
def test_something_that_is_not_a_phone_number_is_refused(given: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        normalise_phone(given)
    assert refused.value.field == "phone"


def test_an_email_keeps_its_local_part_and_lowercases_its_domain() -> None:
    assert (
        normalise_email("  Siti.Aminah+k2k@Mail.Example.MY ") == "Siti.Aminah+k2k@mail.example.my"
    )


@pytest.mark.parametrize(
    "given",
    [
        "aminah",
        "@example.my",
        "aminah@",
        "a@b",
        "a b@example.my",
        "a..b@example.my",
        "a@-example.my",
        "a@example.123",
        "x" * 250 + "@example.my",
    ],
)
def test_something_that_is_not_an_email_address_is_refused(given: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        normalise_email(given)
    assert refused.value.field == "email"
