"""Every text of the web pages, and every reason the domain gives for a refusal, has its Malay
translation with the same placeholders, and the compiled catalogue is current."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from string import Formatter

from babel.messages.catalog import Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from service.web.catalogue import ROOT, texts

CATALOGUE = ROOT / "service" / "web" / "translations" / "ms" / "LC_MESSAGES"


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
    missing = sorted(text for text in texts() if not all(malay.get(text, ("",))))
    assert not missing, f"translate these (make translations): {missing}"


def test_every_malay_translation_keeps_the_placeholders_of_its_english_text() -> None:
    with (CATALOGUE / "messages.po").open("rb") as file:
        catalogue = read_po(file)
    for message in catalogue:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        malay = message.string if isinstance(message.string, str) else message.string[0]
        assert _placeholders(english) == _placeholders(malay), english


def _placeholders(text: str) -> set[str]:
    """The page's ``%(name)s`` places, or a refusal's ``{name}`` ones (a translation may say
    one twice, or once where English says it twice)."""
    if "%(" in text:
        return set(re.findall(r"%\(\w+\)[sd]", text))
    try:
        return {
            f"{{{name}{'!' + conversion if conversion else ''}}}"
            for _, name, _, conversion in Formatter().parse(text)
            if name is not None
        }
    except ValueError:  # a brace that is not a place: none to keep
        return set()


def test_the_compiled_catalogue_is_compiled_from_the_current_translations() -> None:
    with (CATALOGUE / "messages.mo").open("rb") as file:
        compiled = read_mo(io.BytesIO(file.read()))
    compiled_texts = _texts(compiled)
    malay = _malay()
    stale = sorted(
        text for text, translation in malay.items() if compiled_texts.get(text) != translation
    )
    assert not stale, f"run make translations to compile: {stale[:5]}"


def test_every_refusal_the_pages_may_show_is_written_where_it_can_be_found_for_translation() -> (
    None
):
    # An f-string reason would reach the page in English: details go in as ``{name}`` places.
    import ast

    from service.web.catalogue import REFUSAL_KEYWORDS, SOURCES

    hidden = []
    for folder, methods, _ in SOURCES:
        for pattern, method in methods:
            if method != "python":
                continue
            for path in (ROOT / folder).glob(pattern.replace("**.py", "**/*.py")):
                for node in ast.walk(ast.parse(path.read_text(), str(path))):
                    if not isinstance(node, ast.Call):
                        continue
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if name not in REFUSAL_KEYWORDS:
                        continue
                    position = (REFUSAL_KEYWORDS[name] or (1,))[0] - 1
                    if position < len(node.args) and isinstance(node.args[position], ast.JoinedStr):
                        hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not hidden, f"give these reasons as templates with details: {hidden}"
