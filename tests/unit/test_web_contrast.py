"""The pages' colours meet WCAG 2.1 AA contrast (4.5:1 for text) wherever text sits on them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "service" / "web" / "static" / "web" / "app.css"
WHITE = "#ffffff"


def _variables() -> dict[str, str]:
    root = CSS.read_text().split(":root", 1)[1].split("}", 1)[0]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root))


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(foreground: str, background: str) -> float:
    """WCAG's contrast ratio of two sRGB colours."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


#: Text colour on background colour, as the stylesheet pairs them (variables or literals).
PAIRS = [
    ("ink", "paper"),
    ("ink", "wash"),
    ("muted", "paper"),
    ("muted", "wash"),
    ("brand", "paper"),
    ("brand", "wash"),
    ("brand-ink", "brand"),
    ("error", "paper"),
    ("error", "#fde7ea"),
    ("ok", "#e4f4e8"),
    (WHITE, "warn"),
    ("#6b3f00", "#fff1d6"),
    ("#0b3d78", "#dcecff"),
    ("#3d2a86", "#e9e2ff"),
    ("ink", "#e8eaed"),
    ("ink", "#fff8e1"),
]


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_on_its_background_has_at_least_aa_contrast(text: str, background: str) -> None:
    colours = _variables()
    ratio = contrast(colours.get(text, text), colours.get(background, background))
    assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}:1"


def test_the_contrast_formula_gives_wcag_s_own_extremes() -> None:
    assert round(contrast("#000000", WHITE), 1) == 21.0
    assert contrast(WHITE, WHITE) == 1.0
