"""Where the web pages' texts are, for translation (``make translations`` and its unit test).

Two kinds of text reach a page: the pages' own (``gettext`` and friends in the web package and
its templates) and the reasons the domain gives when it refuses a command, written as English
sentences at each ``raise`` (``domain.errors``) and put in the reader's language by
``service.web.refusals``. Those are found by the call that carries them: the error classes, and
the domain's helpers that take the refused step's words.

Run as ``python -m service.web.catalogue OUT.pot`` to write the template ``pybabel update``
merges into the Malay catalogue.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[2]

PAGE_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
}

#: The calls that carry a refusal's sentence, and which argument it is (1 when not said).
REFUSAL_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "NotFound": None,
    "NotPermitted": None,
    "IllegalTransition": None,
    "AlreadyExists": None,
    "ConcurrentChange": None,
    "InvalidValue": (2,),
    # The domain's checks that word a refusal from the step refused ("resolve a case").
    "_get": (3,),
    "_require": (3,),
    "_require_status": (2,),
    "_require_reporter_or_proxy": (2,),
    "_require_keeper": (2,),
    "_require_admin": (2,),
    "require_scope": (3,),
}

#: (folder, file patterns, keywords): the domain, the web package, and the API modules whose
#: lookups the pages share (a case, photo, decision, meeting or survey; a governance scope).
SOURCES: tuple[tuple[str, list[tuple[str, str]], dict[str, tuple[int, ...] | None]], ...] = (
    (
        "service/web",
        [("**.py", "python"), ("templates/**.html", "jinja2")],
        {**PAGE_KEYWORDS, **REFUSAL_KEYWORDS},
    ),
    ("domain", [("**.py", "python")], REFUSAL_KEYWORDS),
    (
        "service",
        [
            ("cases/routes.py", "python"),
            ("decisions/routes.py", "python"),
            ("meetings/routes.py", "python"),
            ("surveys/routes.py", "python"),
            ("governance_common.py", "python"),
            ("photos/routes.py", "python"),
            ("photos/serving.py", "python"),
            ("**.py", "ignore"),
        ],
        REFUSAL_KEYWORDS,
    ),
)


def messages() -> Iterator[str | tuple[str, ...]]:
    """Every English text a web page may show (a tuple for one with plural forms), once each."""
    seen: set[str] = set()
    for folder, methods, keywords in SOURCES:
        for _, _, message, _, _ in extract_from_dir(ROOT / folder, methods, keywords=keywords):
            text = message[0] if isinstance(message, tuple) else message
            if text and text not in seen:
                seen.add(text)
                yield message


def texts() -> set[str]:
    """The English texts (the singular of each with plural forms)."""
    return {message[0] if isinstance(message, tuple) else message for message in messages()}


def main(argv: list[str]) -> int:
    """Write the translation template to the path given."""
    if len(argv) != 1:
        print("usage: python -m service.web.catalogue OUT.pot", file=sys.stderr)
        return 2
    catalogue = Catalog(project="K2K Co-Manage")
    for message in sorted(messages(), key=lambda m: m[0] if isinstance(m, tuple) else m):
        catalogue.add(message)
    with open(argv[0], "wb") as out:
        write_po(out, catalogue, omit_header=True, no_location=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
