"""Purging at scale: preview and crypto-shred 10,000 cases past their retention.

`python -m bench.purge` builds a fresh SQLite installation in a temporary directory
(migrated as in production, a key file, `secure_delete` on), inserts 10,000 closed
cases in bulk as `bench.backup` does - each with a report, a key wrap, a note and
the timeline entries of its receipt and closing, random ciphertext, closed 400 days
ago with no decision (no action: 6 months) - then measures, in process:

1. the preview (`records.services.purge.make_preview`) dated 8 days ago: wall time;
2. the purge of what it listed (`purge.purge`: batches of 100 cases per transaction,
   one audit entry per case, `synchronous=FULL` as configured): wall time, cases
   per second;
3. the WAL checkpoint (TRUNCATE) that ends a run: wall time;

and checks that every case was expunged and the audit chain still verifies.

Target (issue 13, set here): the purge of 10,000 cases in under 5 minutes on this
project's 2-core machine.
"""

import argparse
import secrets
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench.dashboard import _events, _lead_and_organisation, _setup

TARGET_SECONDS = 300.0


def _add_closed_cases(events: list, per_event: int, closed_at) -> None:
    from django.db import transaction  # noqa: PLC0415

    from ombud.cases.models import Case, Note, Report, Status, TimelineEntry  # noqa: PLC0415
    from ombud.vault.models import KeyWrap, RecipientKind  # noqa: PLC0415

    for n, event in enumerate(events):
        cases, reports, wraps, notes, entries = [], [], [], [], []
        for i in range(per_event):
            at = closed_at - timedelta(days=3, minutes=n * 10_000 + i)
            case = Case(
                id=uuid.uuid4(),
                event=event,
                code_name=f"bench-{i}",
                status=Status.CLOSED,
                created_at=at,
                updated_at=closed_at,
                closed_at=closed_at,
            )
            cases.append(case)
            reports.append(
                Report(
                    case=case,
                    event=event,
                    channel="web",
                    received_at=at,
                    sealed=secrets.token_bytes(300),
                    receipt_digest=secrets.token_hex(32),
                )
            )
            wraps.append(
                KeyWrap(
                    keyring=case.pk,
                    recipient_kind=RecipientKind.SERVER,
                    recipient_ref="1",
                    wrapped=secrets.token_bytes(92),
                )
            )
            notes.append(
                Note(case=case, author_id=1, created_at=at, sealed=secrets.token_bytes(200))
            )
            entries.append(
                TimelineEntry(case=case, at=at, kind="report_received", detail={"channel": "web"})
            )
            entries.append(
                TimelineEntry(
                    case=case,
                    at=closed_at,
                    kind="status_changed",
                    actor_id=1,
                    detail={"from": "investigating", "to": "closed"},
                )
            )
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=2000)
            Report.objects.bulk_create(reports, batch_size=2000)
            KeyWrap.objects.bulk_create(wraps, batch_size=2000)
            Note.objects.bulk_create(notes, batch_size=2000)
            TimelineEntry.objects.bulk_create(entries, batch_size=2000)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--per-event", type=int, default=2000)
    args = parser.parse_args(argv)
    total = args.events * args.per_event
    with tempfile.TemporaryDirectory(prefix="ombud-purge-bench-") as tmp:
        _setup(Path(tmp))
        from django.db import connection  # noqa: PLC0415
        from django.utils import timezone  # noqa: PLC0415

        from ombud.audit.services import verify_log  # noqa: PLC0415
        from ombud.cases.models import Case  # noqa: PLC0415
        from ombud.records.services import purge  # noqa: PLC0415

        lead, _password, organisation = _lead_and_organisation()
        events = _events(lead, organisation, args.events)
        now = timezone.now()
        print(f"seeding {args.events} events x {args.per_event} closed cases...", flush=True)
        _add_closed_cases(events, args.per_event, now - timedelta(days=400))

        started = time.perf_counter()
        preview = purge.make_preview(organisation, now=now - timedelta(days=8))
        previewed = time.perf_counter() - started
        listed = preview.items.count()

        started = time.perf_counter()
        result = purge.purge(purge.ripe_items(now), now=now)
        purged = time.perf_counter() - started

        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        checkpointed = time.perf_counter() - started

        expunged = Case.objects.filter(expunged_at__isnull=False).count()
        chain_ok = verify_log().ok
        connection.close()
    ok = listed == total and expunged == total and chain_ok and purged <= TARGET_SECONDS
    print(f"{total} closed cases past their retention")
    print(f"  preview     {previewed:6.1f} s  ({listed} listed)")
    print(
        f"  purge       {purged:6.1f} s  ({len(result.purged)} expunged, "
        f"{len(result.purged) / purged:.0f} cases/s)"
        + ("" if purged <= TARGET_SECONDS else "  MISSED")
    )
    print(f"  checkpoint  {checkpointed:6.1f} s")
    print(f"  expunged in the database: {expunged}; audit chain verifies: {chain_ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
