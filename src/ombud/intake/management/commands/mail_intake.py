import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ombud.intake.channels import imap, smtp

# How often the list of event mailboxes is read again (a channel added or paused).
RESCAN_SECONDS = 60


class Command(BaseCommand):
    help = (
        "Take reports by e-mail: Ombud's SMTP listener on OMBUD_INTAKE_SMTP and the IMAP "
        "mailboxes (OMBUD_INTAKE_IMAP_URL and each event's own), until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--smtp", default=None, help="host:port (default OMBUD_INTAKE_SMTP)")
        parser.add_argument("--no-imap", action="store_true", help="Do not check mailboxes.")
        parser.add_argument(
            "--imap-poll-seconds",
            type=float,
            default=None,
            help="How often a mailbox without IDLE is checked (default 60).",
        )
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="Stop when the process that started this one is gone (used by `ombud demo`).",
        )

    def handle(self, *args, **options):
        address = options["smtp"] if options["smtp"] is not None else settings.INTAKE_SMTP
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if options["exit_with_parent"]:
            self._watch_parent(stop)
        listener = None
        if address:
            try:
                listener = smtp.Listener(address).start()
            except (ValueError, OSError) as exc:
                raise CommandError(f"cannot listen on {address}: {exc}") from None
            self.stdout.write(f"Mail intake listening on {address}")
            self.stdout.flush()
        try:
            if options["no_imap"]:
                stop.wait()
            else:
                self._poll_mailboxes(stop, options["imap_poll_seconds"])
        finally:
            if listener is not None:
                listener.stop()

    def _poll_mailboxes(self, stop, poll_seconds):
        running = {}  # (url, channel id) -> (thread, its own stop)
        while not stop.is_set():
            wanted = imap.mailboxes()
            for key, (thread, own_stop) in list(running.items()):
                if key not in wanted or not thread.is_alive():
                    # Removed, paused or its URL changed: that poller finishes and stops.
                    own_stop.set()
                    del running[key]
            for key, channel in wanted.items():
                if key not in running:
                    own_stop = threading.Event()
                    poller = imap.Poller(key[0], channel, own_stop, poll=poll_seconds or 0)
                    thread = threading.Thread(target=poller.run, daemon=True, name="imap-poller")
                    thread.start()
                    running[key] = (thread, own_stop)
            stop.wait(RESCAN_SECONDS)
        for _thread, own_stop in running.values():
            own_stop.set()
        for thread, _own_stop in running.values():
            thread.join(timeout=10)

    def _watch_parent(self, stop):
        parent = os.getppid()

        def watch():
            while not stop.wait(1):
                if os.getppid() != parent:
                    stop.set()

        threading.Thread(target=watch, daemon=True).start()
