from django.core.management.base import BaseCommand, CommandError

from ombud.audit.services import verify_log


class Command(BaseCommand):
    help = "Audit log tools. `verify` walks the hash chain and fails on any tampering."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        verdict = verify_log()
        if not verdict.ok:
            raise CommandError(
                f"audit log BROKEN at entry {verdict.at_seq}: {verdict.problem} "
                f"({verdict.checked} entries verified before it)"
            )
        self.stdout.write(f"audit log OK: {verdict.checked} entries, head {verdict.head}")
