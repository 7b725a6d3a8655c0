"""Every text of the web pages has its Malay translation, and the compiled catalogue is current."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "service" / "web" / "translations" / "ms" / "LC_MESSAGES"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _texts_in_the_pages() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        ROOT / "service" / "web", METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _texts(catalogue: Iterable[Message]) -> dict[str, tuple[str, ...]]:
    """Each English text and its translation (all plural forms), from a catalogue."""
    return {
        (message.id if isinstance(message.id, str) else message.id[0]): (
            (message.string,) if isinstance(message.string, str) else tuple(message.string)
        )
        for message in catalogue
        if message.id
    }


def _malay() -> dict[str, tuple[str, ...]]:
    with (CATALOGUE / "messages.po").open("rb") as file:
        return _texts(read_po(file))


def test_every_text_on_the_pages_has_a_malay_translation() -> None:
    malay = _malay()
    missing = sorted(text for text in _texts_in_the_pages() if not all(malay.get(text, ("",))))
    assert not missing, f"translate these (make translations): {missing}"


def test_every_malay_translation_keeps_the_placeholders_of_its_english_text() -> None:
    with (CATALOGUE / "messages.po").open("rb") as file:
        catalogue = read_po(file)
    for message in catalogue:
        if not message.id or not message.python_format:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        malay = message.string if isinstance(message.string, str) else message.string[0]
        assert sorted(_placeholders(english)) == sorted(_placeholders(malay)), english


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\(\w+\)[sd]", text)


def test_the_compiled_catalogue_is_compiled_from_the_current_translations() -> None:
    with (CATALOGUE / "messages.mo").open("rb") as file:
        compiled = read_mo(io.BytesIO(file.read()))
    compiled_texts = _texts(compiled)
    malay = _malay()
    stale = sorted(
        text for text, translation in malay.items() if compiled_texts.get(text) != translation
    )
    assert not stale, f"run make translations to compile: {stale[:5]}"
