#!/usr/bin/env bash
# Run Ombud's whole test suite on a fresh Debian machine (as root). Installs what it
# needs (Debian's chromium, postgresql, dovecot-imapd, caddy, gettext and Noto fonts, the
# virtualenv), starts
# a PostgreSQL server as the postgres user on a free loopback port, then runs lint, the
# suite on SQLite (with the browser and system tests) and the suite again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# The IMAP server the mail-intake tests start (as the dovecot user, on loopback).
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
# makemessages (the catalogue test) needs GNU gettext; screenshots in Japanese and
# Arabic need fonts that have those scripts.
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || missing+=(fonts-noto-core)
# The deployment test puts Debian's Caddy in front of `ombud serve` (its service is not
# enabled: the test runs its own on loopback ports).
caddy_missing=0
command -v caddy >/dev/null 2>&1 || { missing+=(caddy); caddy_missing=1; }
if ((${#missing[@]})); then
    echo "Installing ${missing[*]} from Debian..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if ((caddy_missing)); then
        systemctl disable --now caddy >/dev/null 2>&1 || true
    fi
fi

. scripts/bootstrap.sh
ombud_bootstrap "[test]"

# PostgreSQL: a throwaway cluster, run by the postgres user, on loopback only.
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PGROOT="$(mktemp -d /tmp/ombud-pg.XXXXXX)"
chown postgres:postgres "$PGROOT"
PGPORT="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
stop_postgres() {
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGROOT"
}
trap stop_postgres EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$PGROOT/data" -A trust -U postgres -E UTF8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w \
    -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
runuser -u postgres -- psql -h 127.0.0.1 -p "$PGPORT" -U postgres -q \
    -c "CREATE ROLE ombud LOGIN CREATEDB PASSWORD 'ombud'" \
    -c "CREATE DATABASE ombud OWNER ombud"
export OMBUD_TEST_POSTGRES_URL="postgres://ombud:ombud@127.0.0.1:$PGPORT/ombud"
export OMBUD_TEST_REQUIRE_POSTGRES=1
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT"

echo "== lint"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check --quiet src tests bench

run_pytest() {
    local rc=0
    .venv/bin/python -m pytest -p no:cacheprovider "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "pytest collected no tests for: $*" >&2
        rc=1
    fi
    return "$rc"
}

echo "== suite on SQLite, with browser and system tests"
run_pytest -n 2 tests

echo "== suite on PostgreSQL"
OMBUD_DATABASE_URL="$OMBUD_TEST_POSTGRES_URL" run_pytest -n 2 -m "not browser and not system" tests
