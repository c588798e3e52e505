#!/usr/bin/env bash
# Run the Ombud demo on a fresh machine: virtualenv, install, migrate the embedded
# SQLite database, seed the demo organisation, serve it with its worker.
# Extra arguments go to `ombud demo` (e.g. --port 8080, --reset).
set -euo pipefail
. "$(dirname "$0")/bootstrap.sh"
ombud_bootstrap
exec .venv/bin/ombud demo "$@"
