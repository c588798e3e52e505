from django.core.management.base import BaseCommand
from django.utils import timezone

from ombud.records.services import purge


class Command(BaseCommand):
    help = (
        "Expunge (crypto-shred) cases past their retention, as the worker does hourly. "
        "It previews each organisation whose latest preview is over a day old (the "
        "cases due within 30 days, as they are now), then expunges the cases that a "
        "preview at least 7 days old listed, that are due and have not changed since "
        "(a changed case is skipped and listed again by the next preview); withdrawn "
        "cases past their retention lose their receipt and ban-list digests. Prints "
        "counts and case ids only. --dry-run says what would happen and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be done; change nothing"
        )

    def handle(self, *args, **options):
        dry = options["dry_run"]
        found = purge.run(timezone.now(), dry_run=dry)
        would = "would be " if dry else ""
        for slug, listed in found.previewed.items():
            self._list(f"{slug}: {len(listed)} cases due within 30 days {would}previewed", listed)
        if dry:
            self._list(f"{len(found.would_purge)} cases would be expunged", found.would_purge)
            self._list(
                f"{len(found.finished)} withdrawn cases would lose their receipt",
                found.finished,
            )
            return
        self._list(f"{len(found.purge.purged)} cases expunged", found.purge.purged)
        self._list(
            f"{len(found.purge.changed)} cases skipped: changed since their preview",
            found.purge.changed,
        )
        self._list(f"{len(found.purge.not_due)} cases no longer due", found.purge.not_due)
        self._list(f"{len(found.finished)} withdrawn cases lost their receipt", found.finished)

    def _list(self, headline: str, ids) -> None:
        self.stdout.write(headline + (":" if ids else "."))
        for case_id in ids:
            self.stdout.write(f"  {case_id}")
