import os
import shutil
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ombud.demo import seed
from ombud.intake.channels import smtp
from ombud.vault import keys
from ombud.web.server import serve


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise CommandError("No free port on 127.0.0.1 for the demo mail server.")


def _port_free(address: str) -> bool:
    """Whether the mail intake can listen on ``host:port`` (another demo may hold it)."""
    try:
        host, port = smtp.bind_address(address)
    except ValueError:
        return False
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _wait_for_port(port: int, seconds: float = 10.0, *, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            if probe.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.05)
    return False


class Command(BaseCommand):
    help = "Migrate the embedded database, seed the demo organisation and serve it with its worker."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo's database, keys and mailbox and start over.",
        )
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--no-serve", action="store_true", help="Migrate and seed only.")

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("`ombud demo` runs only with OMBUD_MODE=demo.")
        if options["reset"]:
            self._reset()
        keys.ensure_for_demo()
        call_command("migrate", interactive=False, verbosity=0)
        password, generated = seed.demo_password(settings.DATA_DIR)
        try:
            totp_secret, _generated_totp = seed.demo_totp_secret(settings.DATA_DIR)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        twilio_token, _generated_token = seed.demo_twilio_token(settings.DATA_DIR)
        event = seed.seed(password, totp_secret, twilio_token)
        self.totp_secret = totp_secret
        self.twilio_token = twilio_token
        if options["no_serve"]:
            self._banner(event, password, generated, options, None)
            return
        children = []
        env = dict(os.environ)
        sink_port = None
        if not os.environ.get("OMBUD_EMAIL_URL"):
            sink_port = _free_port(settings.EMAIL_PORT)
            env["OMBUD_DEMO_SMTP_PORT"] = str(sink_port)
            children.append(self._spawn(["mailsink", "--port", str(sink_port)], env))
            if not _wait_for_port(sink_port):
                raise CommandError("The demo mail server did not start.")
        children.append(self._spawn(["worker", "--exit-with-parent"], env))
        self.mail_intake = _port_free(settings.INTAKE_SMTP)
        if self.mail_intake:
            children.append(self._spawn(["mail-intake", "--exit-with-parent"], env))
            # The banner names its address: it listens before anyone reads it.
            host, port = smtp.bind_address(settings.INTAKE_SMTP)
            self.mail_intake = _wait_for_port(port, host=host)
        self._banner(event, password, generated, options, sink_port)
        try:
            serve(host=options["host"], port=options["port"], workers=options["workers"])
        finally:
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

    def _spawn(self, command, env):
        # Our own interpreter and subcommands, no shell: nothing untrusted reaches argv.
        return subprocess.Popen([sys.executable, "-m", "ombud", *command], env=env)  # noqa: S603

    def _reset(self):
        database = settings.DATABASES["default"]
        if connection.vendor != "sqlite":
            raise CommandError(
                "--reset only removes the embedded SQLite database; "
                "drop a server database yourself."
            )
        connection.close()
        for suffix in ("", "-wal", "-shm", ".writelock"):
            path = f"{database['NAME']}{suffix}"
            if os.path.exists(path):
                os.remove(path)
        if keys.exists():
            os.remove(settings.VAULT_KEY_FILE)
            keys.load.cache_clear()
        for folder in ("demo-mailbox", "cache"):
            shutil.rmtree(settings.DATA_DIR / folder, ignore_errors=True)
        self.stdout.write("Demo data removed; starting over.")

    def _banner(self, event, password, generated, options, sink_port):
        mail_intake = getattr(self, "mail_intake", False)
        base = f"http://{options['host']}:{options['port']}"
        users = ", ".join([*seed.PEOPLE, seed.ADMIN[0]])
        lines = [
            "",
            "Ombud demo is ready.",
            f"  Event page:     {base}/e/{event.slug}/",
            f"  Report form:    {base}/e/{event.slug}/report/",
            f"  Follow-up:      {base}/receipt/",
            f"  Staff sign-in:  {base}/staff/",
            f"  Users:          {users}",
            f"  Password:       {password}"
            + ("  (generated; set OMBUD_DEMO_PASSWORD to choose)" if generated else ""),
        ]
        lines.append(
            f"  2FA secret:     {self.totp_secret}  (add it to an authenticator app, or set "
            "OMBUD_DEMO_TOTP_SECRET)"
        )
        lines += [
            f"  Report by mail: {seed.REPORTING_ADDRESS}  "
            + (
                f"(SMTP on {settings.INTAKE_SMTP})"
                if mail_intake
                else f"(not listening: {settings.INTAKE_SMTP or 'OMBUD_INTAKE_SMTP'} is "
                "taken or unset; run `ombud mail-intake` with another OMBUD_INTAKE_SMTP)"
            ),
            f"  Text and call:  {seed.HOTLINE_NUMBER}  (Twilio webhooks at "
            f"{base}/hooks/twilio/{event.slug}/sms and /voice)",
            f"  Twilio token:   {self.twilio_token}  (signs the webhooks; or set "
            "OMBUD_DEMO_TWILIO_AUTH_TOKEN)",
        ]
        if sink_port:
            lines.append(
                f"  Alert e-mails:  {base}/demo/mailbox/  (demo SMTP on 127.0.0.1:{sink_port})"
            )
        lines.append(f"  Data:           {settings.DATA_DIR}")
        lines.append("")
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
