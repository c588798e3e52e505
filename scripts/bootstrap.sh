# Shared by demo.sh and test.sh: a virtualenv in .venv with Ombud installed.
# Usage: . scripts/bootstrap.sh; ombud_bootstrap [extras]
# (A function, so the caller's own arguments never reach pip.)
set -euo pipefail
OMBUD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ombud_bootstrap() {
    local extras="${1:-}"
    cd "$OMBUD_ROOT"
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
}
