"""Backups at scale: `ombud backup create`, `verify` and `restore` for 100,000 cases.

`python -m bench.backup` builds a fresh SQLite installation in a temporary directory
(migrated as in production, a key file), inserts 100,000 cases with a report and a
key wrap each in bulk (random ciphertext, as `bench.dashboard` does), then runs the
three commands as an operator would, each as its own `ombud` process:

1. `ombud backup create` with a fresh backup identity's recipient: wall time, size of
   the database and of the encrypted archive;
2. `ombud backup verify --identity`: wall time;
3. `ombud backup restore --identity` into a new, empty data directory: wall time
   (including the migration check and `audit verify` it ends with); then the restored
   database must hold every case.

Targets (issue 13, set here): create and restore each under 2 minutes for 100,000
cases on this project's 2-core machine.
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.dashboard import _add_cases, _events, _lead_and_organisation, _setup

TARGET_SECONDS = 120.0


def _ombud(env: dict, *args) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ombud", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ombud {' '.join(args[:2])} failed:\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--per-event", type=int, default=2000)
    args = parser.parse_args(argv)
    total = args.events * args.per_event
    with tempfile.TemporaryDirectory(prefix="ombud-backup-bench-") as tmp:
        source, restored, offline = Path(tmp, "source"), Path(tmp, "restored"), Path(tmp, "k")
        _setup(source)
        lead, _password, organisation = _lead_and_organisation()
        events = _events(lead, organisation, args.events)
        print(f"seeding {args.events} events x {args.per_event} reports...", flush=True)
        _add_cases(lead, events, args.per_event, 0)
        from django.db import connection  # noqa: PLC0415

        connection.close()
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        offline.mkdir()
        identity = offline / "backup-identity.txt"
        _seconds, recipient = _ombud(env, "backup", "keygen", str(identity))
        env["OMBUD_BACKUP_RECIPIENTS"] = recipient.strip()
        archive = Path(tmp, "ombud.backup.age")
        database = source / "ombud.sqlite3"
        created, _out = _ombud(env, "backup", "create", str(archive))
        verified, _out = _ombud(env, "backup", "verify", str(archive), "--identity", str(identity))
        restored.mkdir()
        restore_env = {**env, "OMBUD_DATA_DIR": str(restored)}
        restore_env.pop("OMBUD_VAULT_KEY_FILE", None)
        put_back, _out = _ombud(
            restore_env, "backup", "restore", str(archive), "--identity", str(identity)
        )
        with sqlite3.connect(restored / "ombud.sqlite3") as check:
            cases = check.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        database_mb = database.stat().st_size / 1e6
        archive_mb = archive.stat().st_size / 1e6
    print(f"{total} cases, SQLite database {database_mb:.1f} MB")
    ok = cases == total
    for name, seconds in (("create", created), ("verify", verified), ("restore", put_back)):
        fast = seconds <= TARGET_SECONDS or name == "verify"
        ok &= fast
        print(f"  backup {name:8} {seconds:6.1f} s" + ("" if fast else "  MISSED"))
    print(f"  archive {archive_mb:.1f} MB (encrypted); restored cases: {cases}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
