from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ombud.records import backup
from ombud.vault import keys


class Command(BaseCommand):
    help = (
        "Encrypted backups. `keygen KEYFILE` writes a backup identity (keep it offline, "
        "apart from the server and its backups) and prints its public recipient; `create "
        "FILE` writes an archive encrypted to OMBUD_BACKUP_RECIPIENTS; `verify FILE "
        "--identity KEYFILE` checks one without restoring; `restore FILE --identity KEYFILE` "
        "brings the installation back into an empty data directory and database."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["keygen", "create", "verify", "restore"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--identity", type=Path, help="the backup identity (KEYFILE)")

    def handle(self, *args, **options):
        action, path = options["action"], options["file"]
        try:
            if action == "keygen":
                self.stdout.write(backup.keygen(path))
                self.stderr.write(
                    f"Backup identity written to {path}. Keep it offline, apart from the "
                    "server, its key files and the backups; put the public recipient above "
                    "in OMBUD_BACKUP_RECIPIENTS."
                )
                return
            if action == "create":
                summary = backup.create(path)
                self.stdout.write(
                    f"Backup written to {path}: {summary.files} files, {summary.size} bytes "
                    f"before encryption, {summary.database} database."
                )
                return
            if options["identity"] is None:
                raise CommandError(f"`ombud backup {action}` needs --identity KEYFILE.")
            if action == "verify":
                summary = backup.verify(path, options["identity"])
                self.stdout.write(
                    f"Backup OK: {summary.files} files, {summary.size} bytes, "
                    f"{summary.database} database, made {summary.created_at}."
                )
                return
            summary = backup.restore(path, options["identity"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        except FileNotFoundError as exc:
            raise CommandError(f"{exc.filename} does not exist.") from None
        keys.load.cache_clear()
        # An archive from an older version: bring its schema up to this one.
        call_command("migrate", interactive=False, verbosity=0)
        call_command("audit", "verify")
        self.stdout.write(
            f"Restored {summary.files} files and the {summary.database} database from a "
            f"backup made {summary.created_at}."
        )
