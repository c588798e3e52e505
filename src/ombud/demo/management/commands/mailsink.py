from django.conf import settings
from django.core.management.base import BaseCommand

from ombud.demo import mailsink


class Command(BaseCommand):
    help = "Run the demo's local SMTP server, keeping messages in the data directory."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8025)

    def handle(self, *args, **options):
        mailsink.serve_forever(settings.DATA_DIR, options["port"])
