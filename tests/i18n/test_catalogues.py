"""Every language is complete: no untranslated or fuzzy entry, the same placeholders
as the English, every marked string in every catalogue, compiled catalogues current.

Run ``make messages`` after changing marked strings (docs/translating.md).
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

PACKAGE = Path(settings.PACKAGE_DIR)
LOCALES = [to_locale(code) for code, _name in settings.LANGUAGES]
GLOSSARIES = PACKAGE.parent.parent / "docs" / "glossary"

PERCENT = re.compile(r"%(?:\([a-z_0-9]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx%]")
BRACE = re.compile(r"\{[a-z_0-9]*\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")


def catalogue(locale) -> polib.POFile:
    return polib.pofile(str(PACKAGE / "locale" / locale / "LC_MESSAGES" / "django.po"))


def marks(text: str, flags) -> list[str]:
    """What a translation must carry over: placeholders and markup."""
    found = [m for m in PERCENT.findall(text) if m != "%%"] if "python-format" in flags else []
    found += BRACE.findall(text)
    found += ["<" + tag for tag in TAG.findall(text)]
    return sorted(found)


def keys(po) -> set:
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in po if not e.obsolete}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_entry_is_translated_and_none_is_fuzzy(locale):
    po = catalogue(locale)
    assert len(po) > 500
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()][:10]
    untranslated = [e.msgid for e in po if not e.obsolete and not e.translated()]
    assert not untranslated, untranslated[:10]
    empty_forms = [
        e.msgid
        for e in po
        if e.msgid_plural and not all(v.strip() for v in e.msgstr_plural.values())
    ]
    assert not empty_forms, empty_forms[:10]


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder_and_tag(locale):
    wrong = []
    for entry in catalogue(locale):
        if entry.obsolete:
            continue
        source = entry.msgid_plural or entry.msgid
        wanted = marks(source, entry.flags)
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translation in forms:
            got = marks(translation, entry.flags)
            # One plural form may leave the number out ("one report", "un signalement").
            if got != wanted and not (entry.msgid_plural and set(got) <= set(wanted)):
                wrong.append((entry.msgid[:60], wanted, got))
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_plural_forms_header_fits_the_language(locale):
    po = catalogue(locale)
    expected = {"ja": "nplurals=1", "ar": "nplurals=6"}.get(locale, "nplurals=2")
    assert po.metadata["Plural-Forms"].startswith(expected)
    assert po.metadata["Language"] == locale


@pytest.fixture(scope="module")
def marked_now(tmp_path_factory):
    """The catalogue makemessages writes from today's source, in a throwaway copy."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: scripts/test.sh installs it")
    copy = tmp_path_factory.mktemp("messages") / "ombud"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "de",
            "--no-obsolete",
            "--ignore",
            "formats/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "ombud.settings", "PATH": "/usr/bin:/bin"},
    )
    return keys(polib.pofile(str(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_marked_string_is_in_the_catalogue(marked_now, locale):
    have = keys(catalogue(locale))
    missing = sorted(marked_now - have, key=str)
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
    stale = sorted(have - marked_now, key=str)
    assert not stale, f"no longer in the source; run `make messages`: {stale[:10]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_is_current(locale):
    po = catalogue(locale)
    mo = polib.mofile(str(PACKAGE / "locale" / locale / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in mo if e.msgid}
    written = {
        (e.msgctxt, e.msgid): (
            "" if e.msgid_plural else e.msgstr,
            {int(k): v for k, v in e.msgstr_plural.items()},
        )
        for e in po.translated_entries()
    }
    assert compiled == written, "run `make messages` to compile the catalogues"


@pytest.mark.parametrize("locale", LOCALES)
def test_each_language_has_its_glossary(locale):
    glossary = GLOSSARIES / f"{locale}.md"
    assert glossary.is_file()
    text = glossary.read_text()
    # The terms every language must settle once and use everywhere.
    for term in ("report", "receipt", "responder", "incident lead", "recusal"):
        assert term in text.lower(), term
