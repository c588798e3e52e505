import json
import os
import signal
import threading

from django.core.management.base import BaseCommand

from ombud.notify import worker


class Command(BaseCommand):
    help = "Deliver queued alerts, retrying with back-off, until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver what is due, then exit.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Say whether a worker is alive and how old the oldest undelivered alert is "
            "(exit status 1 when unhealthy), then exit.",
        )
        parser.add_argument("--poll-interval", type=float, default=0.2)
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="Stop when the process that started this one is gone (used by `ombud demo`).",
        )

    def handle(self, *args, **options):
        if options["check"]:
            report = worker.health()
            self.stdout.write(json.dumps(report))
            if not report["healthy"]:
                raise SystemExit(1)
            return
        if options["once"]:
            sent = worker.deliver_due()
            self.stdout.write(f"delivered {sent}")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if options["exit_with_parent"]:
            parent = os.getppid()

            def watch_parent():
                while not stop.wait(1):
                    if os.getppid() != parent:
                        stop.set()

            threading.Thread(target=watch_parent, daemon=True).start()
        worker.run(stop, poll_interval=options["poll_interval"])
