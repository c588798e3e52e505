"""Colour contrast of the stylesheet, light and dark (WCAG 2.2 AA, 1.4.3 and 1.4.11).

The colours are the custom properties of ``:root`` in ``ombud.css``; dark mode
(``prefers-color-scheme: dark``) redefines them. Text is checked at 4.5:1 in every
combination the pages can make: any text colour on any surface, each filled
control's text on its fill, and every rule that sets both a colour and a
background. What shows a control or its focus (field borders, the focus ring) is
checked at 3:1 against every surface around it.
"""

import re
from pathlib import Path

import pytest

STYLESHEET = Path(__file__).resolve().parents[2] / "src/ombud/web/static/ombud/ombud.css"
DARK = "(prefers-color-scheme: dark)"

TEXT = ("ink", "muted", "accent", "danger", "ok")
SURFACES = ("paper", "wash", "danger-wash", "ok-wash", "warn-wash", "badge")
# Text on a fill of its own: buttons, badges, the header bar.
FILLS = (("accent-ink", "accent"), ("on-danger", "danger"), ("bar-ink", "bar"))
# (what, against): shown at 3:1 — field borders and the focus ring, on every surface.
NON_TEXT = tuple(("field-line", surface) for surface in ("paper", "wash")) + tuple(
    ("focus", surface) for surface in SURFACES
)
TEXT_RATIO, NON_TEXT_RATIO = 4.5, 3.0


def _rules(css: str) -> list[tuple[str | None, str, dict]]:
    """(enclosing @media or None, selector, declarations) of every rule."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules, stack, start = [], [], 0
    for index, char in enumerate(css):
        if char == "{":
            stack.append(css[start:index].strip())
            start = index + 1
        elif char == "}":
            body, prelude = css[start:index], stack.pop()
            start = index + 1
            if prelude.startswith("@"):
                continue
            media = next((p.removeprefix("@media").strip() for p in stack if "@media" in p), None)
            declarations = {
                name.strip(): value.strip()
                for name, _colon, value in (d.partition(":") for d in body.split(";"))
                if value.strip()
            }
            rules.append((media, prelude, declarations))
    return rules


RULES = _rules(STYLESHEET.read_text(encoding="utf-8"))


def _variables(selector: str, media=None) -> dict:
    found = {}
    for rule_media, rule_selector, declarations in RULES:
        if rule_media == media and rule_selector == selector:
            found.update({k[2:]: v for k, v in declarations.items() if k.startswith("--")})
    return found


LIGHT = _variables(":root")
THEMES = {"light": LIGHT, "dark": {**LIGHT, **_variables(":root", DARK)}}
COLOURS = sorted(name for name, value in LIGHT.items() if value.startswith("#"))


def _luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula():
    assert ratio("#000", "#fff") == pytest.approx(21)
    assert ratio("#777", "#fff") == pytest.approx(4.48, abs=0.01)


def test_dark_mode_redefines_every_colour():
    dark = _variables(":root", DARK)
    assert COLOURS, "no colours found in :root"
    assert set(COLOURS) <= set(dark), sorted(set(COLOURS) - set(dark))


def _var(value: str) -> str | None:
    found = re.fullmatch(r"var\(--([\w-]+)\)", value.strip())
    return found.group(1) if found else None


def _rule_pairs() -> set[tuple[str, str, str]]:
    """(selector, text, background) of every rule (outside print) setting both."""
    pairs = set()
    for media, selector, declarations in RULES:
        if media == "print":
            continue
        text = _var(declarations.get("color", ""))
        background = _var(declarations.get("background", declarations.get("background-color", "")))
        if text and background:
            pairs.add((selector, text, background))
    return pairs


def test_rules_setting_a_colour_and_a_background_are_found():
    found = {(text, background) for _selector, text, background in _rule_pairs()}
    assert {("accent-ink", "accent"), ("on-danger", "danger"), ("ink", "wash")} <= found, found


def _scoped(theme: dict, selector: str) -> dict:
    """The theme's colours as a rule sees them: the header bar redefines some."""
    if selector.startswith("header.site"):
        return {**theme, **_variables("header.site")}
    return theme


@pytest.mark.parametrize("theme", THEMES)
def test_text_is_readable_on_every_surface(theme):
    colours = THEMES[theme]
    checked = [(f"{t} on {s}", colours[t], colours[s]) for t in TEXT for s in SURFACES]
    checked += [(f"{t} on {f}", colours[t], colours[f]) for t, f in FILLS]
    for selector, text, background in sorted(_rule_pairs()):
        scoped = _scoped(colours, selector)
        checked.append((f"{selector}: {text} on {background}", scoped[text], scoped[background]))
    low = [f"{what}: {ratio(fg, bg):.2f}" for what, fg, bg in checked if ratio(fg, bg) < TEXT_RATIO]
    assert not low, f"text below {TEXT_RATIO}:1 in the {theme} theme: {low}"


@pytest.mark.parametrize("theme", THEMES)
def test_field_borders_and_focus_stand_out(theme):
    colours = THEMES[theme]
    missing = sorted({name for pair in NON_TEXT for name in pair} - set(colours))
    assert not missing, f"colours the stylesheet does not define: {missing}"
    checked = [(f"{fg} on {bg}", colours[fg], colours[bg]) for fg, bg in NON_TEXT]
    header = _scoped(colours, "header.site")
    checked.append(("focus on the header bar", header["focus"], header["bar"]))
    low = [
        f"{what}: {ratio(fg, bg):.2f}" for what, fg, bg in checked if ratio(fg, bg) < NON_TEXT_RATIO
    ]
    assert not low, f"below {NON_TEXT_RATIO}:1 in the {theme} theme: {low}"


def test_the_focus_ring_uses_the_focus_colour():
    """One focus colour, defined per theme and per surface, not a literal in a rule."""
    rings = [
        declarations["outline"]
        for media, selector, declarations in RULES
        if ":focus" in selector and "outline" in declarations and media != "print"
    ]
    assert rings, "no focus style found"
    assert all("var(--focus)" in ring or ring == "none" for ring in rings), rings
