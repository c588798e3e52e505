"""Real processes for system and browser tests: `ombud demo` serving on loopback
with its worker, a real SMTP server receiving the alerts, and (when the test
command provides one) a fresh PostgreSQL database per server."""

import email
import email.policy
import os
import secrets
import signal
import socket
import subprocess
import sys
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
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class OmbudDemo:
    """`ombud demo` in its own process group, logging to a file we can read."""

    def __init__(self, data_dir: Path, *, mail: MailSink, database_url: str = "", port=None):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "process.log"
        self.env = {
            **os.environ,
            "OMBUD_MODE": "demo",
            "OMBUD_DATA_DIR": str(data_dir),
            "OMBUD_EMAIL_URL": mail.url,
            "OMBUD_DEMO_PASSWORD": DEMO_PASSWORD,
            "OMBUD_BASE_URL": self.base_url,
            "OMBUD_RATE_LIMITS": "off",
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

    def start(self, *extra, timeout: float = 60.0) -> "OmbudDemo":
        self.data_dir.mkdir(parents=True, exist_ok=True)
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
                with urllib.request.urlopen(self.base_url + "/e/pycon-demo/", timeout=2):
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
