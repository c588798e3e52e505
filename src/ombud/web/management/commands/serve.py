from django.core.management.base import BaseCommand, CommandError

from ombud.vault import keys
from ombud.vault.errors import VaultError
from ombud.web.server import serve


class Command(BaseCommand):
    help = "Serve Ombud over HTTP with gunicorn (run `ombud worker` beside it for alerts)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument(
            "--keepalive",
            type=int,
            default=0,
            help="seconds to keep idle connections open (0: close after each response)",
        )
        parser.add_argument("--no-access-log", action="store_true")

    def handle(self, *args, **options):
        try:
            keys.load()  # refuse to start without the vault's key file
        except VaultError as exc:
            raise CommandError(str(exc)) from None
        serve(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
            keepalive=options["keepalive"],
            access_log=not options["no_access_log"],
        )
