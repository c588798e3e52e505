#!/usr/bin/env bash
# Refresh the translation catalogues after changing marked strings, then compile them.
# Each language's new or changed entries come out empty (or fuzzy) in its .po file:
# translate them (see docs/translating.md), then run this again to compile.
# tests/i18n/test_catalogues.py fails until every catalogue is complete and compiled.
set -euo pipefail
cd "$(dirname "$0")/../src/ombud"
DJANGO_ADMIN="../../.venv/bin/django-admin"
LOCALES=(en de es fr pt_BR ja ar)
args=()
for locale in "${LOCALES[@]}"; do args+=(-l "$locale"); done
# English is the source language: its catalogue is made afresh, each string as written.
rm -f locale/en/LC_MESSAGES/django.po
DJANGO_SETTINGS_MODULE=ombud.settings "$DJANGO_ADMIN" makemessages "${args[@]}" \
    --no-obsolete --no-wrap --add-location=file --ignore "formats/*"
msgen --no-wrap -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po
sed -i -e '0,/^#, fuzzy$/{/^#, fuzzy$/d}' -e 's/^"Language: \\n"$/"Language: en\\n"/' \
    -e 's/^"Project-Id-Version: PACKAGE VERSION\\n"$/"Project-Id-Version: Ombud\\n"/' \
    locale/en/LC_MESSAGES/django.po
DJANGO_SETTINGS_MODULE=ombud.settings "$DJANGO_ADMIN" compilemessages --ignore "formats/*" "${args[@]}"
