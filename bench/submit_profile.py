"""Where a report's time goes: CPU per report by phase, and the write lock's hold.

`python -m bench.submit_profile` seeds the demo on a fresh data directory (embedded
SQLite at full durability, as `make bench`), then files `--reports` API reports (400;
20 more first, to warm up) through Django's full request stack in this process - no
HTTP server, so no gunicorn and no network - one at a time, and prints:

- CPU per report (``time.process_time``) of the whole request and of each phase of
  ``intake.services.submit_report``, measured by wrapping those functions;
- the write lock's hold per report (median and 90th percentile, wall clock, from taking
  the lock file to the commit's end) and the CPU spent while holding it;
- WAL pages written per report (the WAL's growth with checkpoints off).

A profile for orientation, not a target: `make bench` measures throughput against a
real server. The phases overlap nothing: "under the lock" ones run inside the
transaction, the others before it.
"""

import argparse
import collections
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import TOTP_SECRET, VENV_BIN

# (label, module path, attribute) of what is timed; "under the lock" ones run inside
# the write transaction.
PHASES = (
    ("the event by slug", "ombud.api.intake", "_event"),
    ("submit_report, all of it", "ombud.api.intake", "submit_report"),
    ("who is recused and alerted", "ombud.intake.services", "_decide"),
    ("a new case key sealed to its readers", "ombud.intake.services.vault", "new_keyring"),
    ("the case's inbox key", "ombud.intake.services.inbox", "new_inbox"),
    ("rows built and prepared", "ombud.intake.services", "_inserts"),
    ("under the lock: roster version check", "ombud.intake.services", "_roster_unchanged"),
    ("under the lock: the case (code name)", "ombud.intake.services", "_insert_case"),
    ("under the lock: the audit append", "ombud.audit.services.Pending", "append"),
)


def _setup(data_dir: Path) -> None:
    env = {
        **os.environ,
        "OMBUD_MODE": "demo",
        "OMBUD_DATA_DIR": str(data_dir),
        "OMBUD_RATE_LIMITS": "off",
        "OMBUD_LOG_LEVEL": "WARNING",
        "OMBUD_DEMO_PASSWORD": secrets.token_urlsafe(12),
        "OMBUD_DEMO_TOTP_SECRET": TOTP_SECRET,
        # Alerts are queued, not sent: this measures the web tier only.
        "OMBUD_EMAIL_URL": "smtp://127.0.0.1:9",
    }
    env.pop("OMBUD_DATABASE_URL", None)
    subprocess.run(
        [str(VENV_BIN / "ombud"), "demo", "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    os.environ.update({k: v for k, v in env.items() if k.startswith("OMBUD_")})
    os.environ.pop("OMBUD_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ombud.settings"
    import django  # noqa: PLC0415

    django.setup()


def _timed(acc, label, function):
    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            acc[label] += time.process_time() - started

    return timed


def _instrument(acc: collections.Counter, holds: list) -> None:
    import importlib  # noqa: PLC0415

    from ombud.db.sqlite3 import base  # noqa: PLC0415

    for label, module_path, name in PHASES:
        *parents, last = module_path.split(".")
        try:
            owner = importlib.import_module(module_path)
        except ModuleNotFoundError:  # an attribute chain: module.attribute
            owner = getattr(importlib.import_module(".".join(parents)), last)
        setattr(owner, name, _timed(acc, label, getattr(owner, name)))
    take, release = base.DatabaseWrapper._take_writer_lock, base.DatabaseWrapper._release_writer
    state = {}

    def taking(self):
        take(self)
        state["at"], state["cpu"] = time.perf_counter(), time.process_time()

    def releasing(self):
        if self._writing and "at" in state:
            holds.append((time.perf_counter() - state["at"], time.process_time() - state["cpu"]))
        release(self)

    base.DatabaseWrapper._take_writer_lock = taking
    base.DatabaseWrapper._release_writer = releasing


def _body(n: int) -> bytes:
    return json.dumps(
        {
            "what_happened": f"Profile report {n} {secrets.token_hex(8)}: someone was rude.",
            "where": "Hall B",
        }
    ).encode()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=400)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ombud-submit-profile-") as tmp:
        _setup(Path(tmp))
        from django.conf import settings  # noqa: PLC0415
        from django.db import connection  # noqa: PLC0415
        from django.test import Client  # noqa: PLC0415

        settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
        client = Client()
        path = "/api/v1/events/pycon-demo/reports"

        def post(n):
            answer = client.post(path, _body(n), content_type="application/json")
            if answer.status_code != 201:
                raise SystemExit(f"submission answered {answer.status_code}")

        for n in range(20):
            post(n)
        acc, holds = collections.Counter(), []
        _instrument(acc, holds)
        holds.clear()
        started = time.process_time()
        for n in range(args.reports):
            post(n)
        total = time.process_time() - started
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        wal = Path(tmp) / "ombud.sqlite3-wal"
        before = wal.stat().st_size
        pages = 50
        for n in range(pages):
            post(n)
        page_size = 4096 + 24  # a WAL frame: the page and its header
        frames = (wal.stat().st_size - before) / page_size / pages
    per = 1000 / args.reports
    print(f"{args.reports} API reports in process, CPU per report (ms):")
    print(f"  {total * per:7.3f}  the whole request (Django, middleware, API schema, view)")
    for label, _module, _name in PHASES:
        print(f"  {acc[label] * per:7.3f}  {label}")
    wall = sorted(h[0] for h in holds)
    cpu = [h[1] for h in holds]
    print(
        f"write lock held per report: median {statistics.median(wall) * 1000:.2f} ms, "
        f"90th percentile {wall[int(len(wall) * 0.9)] * 1000:.2f} ms; "
        f"CPU while holding it: median {statistics.median(cpu) * 1000:.2f} ms"
    )
    print(f"WAL pages written per report: {frames:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
