"""Real processes for system and browser tests: `ombud demo` serving on loopback
with its worker, a real SMTP server receiving the alerts, and (when the test
command provides one) a fresh PostgreSQL database per server."""

import atexit
import base64
import contextlib
import datetime
import email
import email.policy
import hashlib
import hmac
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from ombud.demo.mailsink import LoopbackSMTPServer

DEMO_PASSWORD = "demo-password-for-tests"
# The demo users' authenticator secret; the demo accepts a code more than once in its window.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def demo_otp() -> str:
    """The code the demo users' authenticator app shows now (RFC 6238, 30 s, 6 digits)."""
    key = base64.b32decode(DEMO_TOTP_SECRET)
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mail:
    envelope_to: list
    raw: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def subject(self) -> str:
        # A non-ASCII subject is folded onto the next line as an encoded word; the
        # parser keeps the fold's space, which mail programs do not show.
        return self.message["Subject"].strip()

    @property
    def body(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()


class MailSink(LoopbackSMTPServer):
    """An SMTP server on loopback that keeps every message it accepts."""

    def __init__(self):
        super().__init__()
        self.received = []
        self._lock = threading.Lock()

    def accept(self, envelope) -> None:
        with self._lock:
            self.received.append(Mail(list(envelope.rcpt_tos), envelope.original_content))

    def messages(self) -> list:
        with self._lock:
            return list(self.received)

    def wait_for(self, predicate, timeout: float = 15.0) -> list:
        """Wait until ``predicate(messages)`` holds; returns the messages."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.messages()
            if predicate(messages):
                return messages
            time.sleep(0.05)
        raise AssertionError(f"mail did not arrive in {timeout}s: {len(self.messages())} messages")

    def to(self, address: str) -> list:
        return [m for m in self.messages() if address in m.envelope_to]


def postgres_admin_url() -> str | None:
    url = os.environ.get("OMBUD_TEST_POSTGRES_URL")
    if not url and os.environ.get("OMBUD_TEST_REQUIRE_POSTGRES"):
        pytest.fail("OMBUD_TEST_POSTGRES_URL is not set: run the suite with scripts/test.sh")
    return url


class FreshPostgresDatabase:
    """A database created for one server process and dropped afterwards."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.name = f"ombud_sys_{secrets.token_hex(4)}"

    def __enter__(self) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self.admin_url.rsplit("/", 1)[0] + "/" + self.name

    def __exit__(self, *exc):
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for attempt in range(20):
                try:
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                    return
                except psycopg.errors.InsufficientPrivilege:
                    # An autovacuum worker visiting the new database (after a restore)
                    # is no role's process, so FORCE may not end it: it soon leaves.
                    if attempt == 19:
                        raise
                    time.sleep(0.5)


# What `ombud demo` seeds depends on these and on the database; everything else a site
# sets (ports, mail server, windows, limits) is read when it runs.
_SEEDING = (
    "OMBUD_MODE",
    "OMBUD_DEMO_PASSWORD",
    "OMBUD_DEMO_TOTP_SECRET",
    "OMBUD_DEMO_TWILIO_AUTH_TOKEN",
)
# Keys kept outside the data directory cannot be copied with it.
_KEYS_ELSEWHERE = ("OMBUD_SECRET_KEY", "OMBUD_VAULT_KEY_FILE")
_seeded: dict[tuple, tuple[Path, str]] = {}


def fill_with_seeded_demo(env: dict, data_dir: Path) -> bool:
    """Give a new site the demo, migrated and seeded, by copying a data directory (and
    PostgreSQL database) that `ombud demo --no-serve` made once in this test process:
    migrating and seeding take 12-20 s, a copy well under one. False, and nothing done,
    when the site keeps its keys elsewhere; then it runs the command itself.

    The copy is what that command leaves - the same rows, keys and secrets - made
    minutes earlier; the demo's shifts cover the event's three days. The first run of
    `ombud demo` on an empty directory is tested as itself (tests/system/test_demo.py).
    """
    if any(env.get(name) for name in _KEYS_ELSEWHERE):
        return False
    database_url = env.get("OMBUD_DATABASE_URL", "")
    admin_url = postgres_admin_url() if database_url else ""
    key = (admin_url, *(env.get(name, "") for name in _SEEDING))
    if key not in _seeded:
        _seeded[key] = _seed_template(env, admin_url)
    template_dir, template_database = _seeded[key]
    shutil.copytree(template_dir, data_dir, dirs_exist_ok=True)
    if database_url:
        _copy_database(admin_url, template_database, database_url.rsplit("/", 1)[1])
    return True


def _seed_template(env: dict, admin_url: str) -> tuple[Path, str]:
    template_dir = Path(tempfile.mkdtemp(prefix="ombud-seeded-")) / "data"
    atexit.register(shutil.rmtree, template_dir.parent, ignore_errors=True)
    template_env = {**env, "OMBUD_DATA_DIR": str(template_dir)}
    template_database = ""
    if admin_url:
        database = FreshPostgresDatabase(admin_url)
        template_env["OMBUD_DATABASE_URL"] = database.__enter__()
        atexit.register(database.__exit__, None, None, None)
        template_database = database.name
    template_dir.mkdir()
    subprocess.run(
        [sys.executable, "-m", "ombud", "demo", "--no-serve"],
        env=template_env,
        capture_output=True,
        timeout=300,
        check=True,
    )
    if admin_url:
        # Nobody connects to a template, autovacuum included: a copy needs it alone.
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{template_database}" ALLOW_CONNECTIONS false')
    return template_dir, template_database


def _copy_database(admin_url: str, template: str, name: str) -> None:
    """Replace the site's new, empty database with a copy of the seeded one."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for attempt in range(20):
            try:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 19:  # a session on the template: CREATE waits for none
                    raise
                time.sleep(0.25)


class OmbudDemo:
    """`ombud demo` in its own process group, logging to a file we can read.

    Started on an empty data directory, it starts from a copy of the seeded demo
    (``fill_with_seeded_demo``), as on its second run; ``seeded=False`` makes it
    migrate and seed everything itself, as on a new machine.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        mail: MailSink,
        database_url: str = "",
        port=None,
        rate_limits: bool = False,
        seeded: bool = True,
    ):
        self.data_dir = data_dir
        self.seeded = seeded
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "process.log"
        # The demo's mail intake listens here: each demo its own port.
        self.intake_port = free_port()
        self.env = {
            **os.environ,
            "OMBUD_INTAKE_SMTP": f"127.0.0.1:{self.intake_port}",
            "OMBUD_MODE": "demo",
            "OMBUD_DATA_DIR": str(data_dir),
            "OMBUD_EMAIL_URL": mail.url,
            "OMBUD_DEMO_PASSWORD": DEMO_PASSWORD,
            "OMBUD_DEMO_TOTP_SECRET": DEMO_TOTP_SECRET,
            "OMBUD_BASE_URL": self.base_url,
            "OMBUD_RATE_LIMITS": "on" if rate_limits else "off",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        if database_url:
            self.env["OMBUD_DATABASE_URL"] = database_url
        else:
            self.env.pop("OMBUD_DATABASE_URL", None)
        self.process = None

    def command(self, *args, check=True, timeout=120) -> subprocess.CompletedProcess:
        """Run another `ombud` subcommand against the same data and database."""
        return subprocess.run(
            [sys.executable, "-m", "ombud", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    # `ombud demo` migrates, seeds (a password hash per demo user) and starts three
    # processes: on this 2-core machine beside the rest of the suite and its browsers
    # that took close to a minute in a clean-clone run.
    def start(self, *extra, timeout: float = 150.0) -> "OmbudDemo":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.seeded and not any(self.data_dir.iterdir()):
            fill_with_seeded_demo(self.env, self.data_dir)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ombud",
                "demo",
                "--port",
                str(self.port),
                "--workers",
                "2",
                *extra,
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ombud demo exited early:\n{self.log()}")
            try:
                # A worker's first page can take seconds on a loaded machine.
                with urllib.request.urlopen(self.base_url + "/e/pycon-demo/", timeout=10):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"ombud demo did not start in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class OmbudProcess:
    """One `ombud` subcommand in its own process group, logging to a file.

    The fault tests kill it with SIGKILL (the whole group: gunicorn's master and
    its workers die together, as in a crash or an OOM kill) and start it again.
    """

    def __init__(self, site: "OmbudSite", name: str, args: list):
        self.site = site
        self.name = name
        self.args = args
        self.log_path = site.data_dir / f"{name}.log"
        self.process = None
        self.starts = 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 30.0) -> "OmbudProcess":
        assert not self.running, f"{self.name} is already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ombud", *self.args],
                env=self.site.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        self.wait_until_ready(timeout)
        return self

    def wait_until_ready(self, timeout: float) -> None:
        """Processes without a port are ready once started."""

    def kill(self) -> None:
        """SIGKILL the whole process group: nothing gets to clean up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.running:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class OmbudServe(OmbudProcess):
    """`ombud serve` (gunicorn), ready once the event page answers."""

    def __init__(self, site: "OmbudSite", workers: int = 2):
        super().__init__(
            site, "serve", ["serve", "--port", str(site.port), "--workers", str(workers)]
        )

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ombud serve exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.site.base_url + "/e/pycon-demo/", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.kill()
        raise AssertionError(f"ombud serve did not start in {timeout}s:\n{self.log()}")


class OmbudWorker(OmbudProcess):
    """`ombud worker`, delivering alerts; ready once it logs that it started."""

    def __init__(self, site: "OmbudSite", name: str = "worker"):
        super().__init__(site, name, ["worker"])

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ombud worker exited early:\n{self.log()}")
            if self.log().count("worker started") >= self.starts:
                return
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"ombud worker did not start in {timeout}s:\n{self.log()}")


class OmbudMailIntake(OmbudProcess):
    """`ombud mail-intake`, ready once its SMTP listener answers."""

    def __init__(self, site: "OmbudSite", *, imap: bool = False):
        checks = ["--imap-poll-seconds", "1"] if imap else ["--no-imap"]
        super().__init__(site, "mail-intake", ["mail-intake", *checks])

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ombud mail-intake exited early:\n{self.log()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.site.intake_port)) == 0:
                    return
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"ombud mail-intake did not start in {timeout}s:\n{self.log()}")


class OmbudSite:
    """One data directory and database, served by `ombud serve` and `ombud worker`
    processes run separately, as in production, so each can be killed on its own.

    ``setup()`` gives it the demo event, migrated and seeded: a copy of what ``ombud demo
    --no-serve`` made (``fill_with_seeded_demo``), or that command itself.
    """

    def __init__(
        self, data_dir: Path, *, email_url: str, database_url: str = "", port=None, env=None
    ):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.intake_port = free_port()
        self.env = {
            **os.environ,
            "OMBUD_INTAKE_SMTP": f"127.0.0.1:{self.intake_port}",
            "OMBUD_MODE": "demo",
            "OMBUD_DATA_DIR": str(data_dir),
            "OMBUD_EMAIL_URL": email_url,
            "OMBUD_DEMO_PASSWORD": DEMO_PASSWORD,
            "OMBUD_DEMO_TOTP_SECRET": DEMO_TOTP_SECRET,
            "OMBUD_BASE_URL": self.base_url,
            "OMBUD_RATE_LIMITS": "off",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        if database_url:
            self.env["OMBUD_DATABASE_URL"] = database_url
        else:
            self.env.pop("OMBUD_DATABASE_URL", None)
        self.processes: list[OmbudProcess] = []

    def setup(self) -> "OmbudSite":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not fill_with_seeded_demo(self.env, self.data_dir):
            self.command("demo", "--no-serve")
        return self

    def command(self, *args, check=True, timeout=120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ombud", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def server(self, workers: int = 2) -> OmbudServe:
        process = OmbudServe(self, workers)
        self.processes.append(process)
        return process

    def worker(self, name: str = "worker") -> OmbudWorker:
        process = OmbudWorker(self, name)
        self.processes.append(process)
        return process

    def mail_intake(self, *, imap: bool = False) -> OmbudMailIntake:
        process = OmbudMailIntake(self, imap=imap)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def outbox(self) -> list["OutboxRow"]:
        """Every outbox row, read straight from the database, so a test can watch
        the worker's progress without going through it."""
        query = "SELECT id, state, attempts, next_attempt_at, kind, held FROM notify_outboxmessage"
        if self.database_url:
            with psycopg.connect(self.database_url) as conn:
                rows = list(conn.execute(query))
        else:
            conn = sqlite3.connect(self.data_dir / "ombud.sqlite3", timeout=20)
            try:
                rows = list(conn.execute(query))
            finally:
                conn.close()
        return [OutboxRow.of(*row) for row in rows]


@dataclass
class OutboxRow:
    id: str
    state: str
    attempts: int
    next_attempt_at: datetime.datetime
    kind: str = ""
    # Held for the digest its recipient gets when their alert window closes.
    held: bool = False

    @classmethod
    def of(cls, *row) -> "OutboxRow":
        """From a row of ``SELECT id, state, attempts, next_attempt_at, kind, held``."""
        id_, state, attempts, next_attempt_at, kind, held = row
        if isinstance(next_attempt_at, str):  # SQLite keeps UTC times as text
            next_attempt_at = datetime.datetime.fromisoformat(next_attempt_at)
        if next_attempt_at.tzinfo is None:
            next_attempt_at = next_attempt_at.replace(tzinfo=datetime.UTC)
        return cls(
            str(id_).replace("-", ""), state, int(attempts), next_attempt_at, kind, bool(held)
        )
