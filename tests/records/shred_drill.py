"""The no-byte-left drill, run in its own process on a real SQLite file (the test
database is in memory): seed a rich case past its retention and a live one, sample
32 bytes from the middle of every ciphertext and key wrap of both, purge as Ombud
does (preview, a week later the purge and its WAL checkpoint), close the database
and print the samples and where the data directory is, as JSON.

Run by tests/records/test_no_byte_left.py: ``python -m tests.records.shred_drill``.
"""

import atexit
import json
import os
import sys
from datetime import timedelta

import django


def _slices(rows) -> list[str]:
    found = []
    for value in rows:
        data = bytes(value or b"")
        if len(data) >= 48:
            middle = len(data) // 2
            found.append(data[middle - 16 : middle + 16].hex())
    return found


def _samples(case) -> list[str]:
    from ombud.cases.models import (  # noqa: PLC0415
        Account,
        Attachment,
        Case,
        InterimAction,
        Message,
        Note,
        Recusal,
        Report,
        Respondent,
        SafetyStep,
    )
    from ombud.decisions.models import Decision  # noqa: PLC0415
    from ombud.notify.models import OutboxMessage  # noqa: PLC0415
    from ombud.vault.models import KeyWrap  # noqa: PLC0415

    values = []
    values += Report.objects.filter(case=case).values_list("sealed", flat=True)
    values += Report.objects.filter(case=case).values_list("resend_box", flat=True)
    values += Attachment.objects.filter(case=case).values_list("sealed_meta", flat=True)
    values += Attachment.objects.filter(case=case).values_list("sealed_data", flat=True)
    for model in (Note, Message, Account, Respondent, InterimAction, Recusal, Decision):
        values += model.objects.filter(case=case).values_list("sealed", flat=True)
    values += SafetyStep.objects.filter(case=case).values_list("sealed_reason", flat=True)
    values += KeyWrap.objects.filter(keyring=case.pk).values_list("wrapped", flat=True)
    values += Case.objects.filter(pk=case.pk).values_list("sealed_inbox_key", flat=True)
    values += OutboxMessage.objects.filter(subject_id=case.pk).values_list(
        "sealed_envelope", flat=True
    )
    return _slices(values)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from tests import settings as test_settings  # noqa: PLC0415

    # The data directory outlives this process: the test reads every file of it, then
    # removes it.
    atexit.unregister(test_settings.remove_data_dir)
    from django.conf import settings  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from ombud.records.services import purge  # noqa: PLC0415
    from ombud.vault import keys  # noqa: PLC0415
    from tests import factories  # noqa: PLC0415
    from tests.records.helpers import keyed, rich_case  # noqa: PLC0415

    call_command("migrate", interactive=False, verbosity=0)
    keys.ensure_for_demo()
    cast = keyed(factories.personas())
    now = timezone.now()
    old, _receipt = rich_case(cast, now - timedelta(days=400), canary="SHREDCANARY-old")
    kept, _receipt = rich_case(cast, now - timedelta(days=10), canary="KEPTCANARY-new")
    shredded, control = _samples(old), _samples(kept)
    purge.make_preview(cast.event.organisation, now=now - timedelta(days=8))
    result = purge.run(now)
    connection.close()
    json.dump(
        {
            "data_dir": str(settings.DATA_DIR),
            "database": str(settings.DATABASES["default"]["NAME"]),
            "purged": [str(pk) for pk in result.purge.purged],
            "old": str(old.pk),
            "shredded": shredded,
            "control": control,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
