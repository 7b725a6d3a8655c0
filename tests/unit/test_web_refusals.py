"""A refusal's reason is put in the page's language with its details, and never lost."""

from __future__ import annotations

import pytest

from domain.errors import IllegalTransition, InvalidValue, NotFound
from service.web import refusals


def test_a_reason_is_translated_and_its_plain_details_go_in_as_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalogue = {"the agenda has no item {number}": "agenda tiada perkara {number}"}
    monkeypatch.setattr(refusals, "gettext", lambda text: catalogue.get(text, text))
    error = InvalidValue("item_number", "the agenda has no item {number}", number=7)
    assert refusals.refusal(error) == "agenda tiada perkara 7"
    assert error.message == "the agenda has no item 7"  # the API's words are unchanged


def test_a_reason_without_details_is_translated_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue = {"you already support this case": "anda sudah menyokong kes ini"}
    monkeypatch.setattr(refusals, "gettext", lambda text: catalogue.get(text, text))
    assert refusals.refusal(IllegalTransition("you already support this case")) == (
        "anda sudah menyokong kes ini"
    )


def test_a_translation_that_lost_a_place_falls_back_to_the_english_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(refusals, "gettext", lambda text: "tiada kes {kes}")
    assert refusals.refusal(NotFound("no case {case}", case="3f2b")) == "no case 3f2b"


def test_an_error_without_a_reason_has_nothing_to_say() -> None:
    assert refusals.refusal(NotFound()) == ""
