from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ombud.vault import keys, recertify


class Command(BaseCommand):
    help = (
        "Vault server keys. `init` creates the key file for a new installation; `check` reads "
        "it; `recertify` certifies the database as it stands under the key file in use now "
        "(only after a lost key file was replaced by a new one: check the roster first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["init", "check", "recertify"])

    def handle(self, *args, **options):
        if options["action"] == "init":
            if keys.exists():
                raise CommandError(
                    f"{settings.VAULT_KEY_FILE} already exists; replacing it would make every "
                    "case unreadable. Nothing was changed."
                )
            keys.create()
            self.stdout.write(
                f"Created {settings.VAULT_KEY_FILE}.\n"
                "Back it up now, separately from the database: without it, cases wrapped to "
                "the server key cannot be read."
            )
            return
        if options["action"] == "recertify":
            counted = recertify.as_found()
            listed = ", ".join(f"{n} {what}" for what, n in counted.items())
            self.stdout.write(f"Certified as found: {listed}.")
            return
        server_keys = keys.load()
        self.stdout.write(
            f"Key file OK: {len(server_keys.wrap_keys)} wrap key(s), active {server_keys.active_id}"
        )
