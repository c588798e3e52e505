from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ombud.vault import keys


class Command(BaseCommand):
    help = "Vault server keys. `init` creates the key file for a new installation."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["init", "check"])

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
        server_keys = keys.load()
        self.stdout.write(
            f"Key file OK: {len(server_keys.wrap_keys)} wrap key(s), active {server_keys.active_id}"
        )
