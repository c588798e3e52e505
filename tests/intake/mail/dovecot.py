"""A real IMAP server for the tests: Debian's Dovecot, on a free loopback port, run
as an unprivileged user (the dovecot user when the tests run as root, as the
PostgreSQL server of scripts/test.sh is run as postgres), with a throwaway
configuration, password file and maildir."""

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
USER = "conduct"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {address}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_location = maildir:{root}/mail/%u
{capability}
first_valid_uid = {uid}
last_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {address}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
"""


def available() -> bool:
    return os.path.exists(DOVECOT) and os.path.exists("/usr/lib/dovecot/imap")


class Dovecot:
    """``start()``, ``stop()``, ``url``; ``idle=False`` takes IDLE off the capability list."""

    def __init__(self, *, idle: bool = True, address: str = "127.0.0.1"):
        self.password = secrets.token_urlsafe(12)
        self.root = Path(tempfile.mkdtemp(prefix="ombud-dovecot-"))
        self.port = 0
        self.idle = idle
        self.address = address
        self.process = None
        account = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.getuid())
        self.account = account
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{self.password}\n")
        for folder in ("run", "state", "mail"):
            (self.root / folder).mkdir()
        capability = "" if idle else "imap_capability = IMAP4rev1 LITERAL+ SASL-IR UIDPLUS MOVE"
        with socket.socket() as probe:
            probe.bind((address, 0))
            self.port = probe.getsockname()[1]
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                user=account.pw_name,
                group=_group(account.pw_gid),
                uid=account.pw_uid,
                gid=account.pw_gid,
                port=self.port,
                address=address,
                capability=capability,
            )
        )
        if os.geteuid() == 0:
            for path in self.root.rglob("*"):
                os.chown(path, account.pw_uid, account.pw_gid)
            os.chown(self.root, account.pw_uid, account.pw_gid)

    @property
    def url(self) -> str:
        return f"imap://{USER}:{self.password}@{self.address}:{self.port}/INBOX"

    def _command(self, *args) -> list:
        command = [DOVECOT, "-c", str(self.root / "dovecot.conf"), *args]
        if os.geteuid() == 0:
            return ["runuser", "-u", self.account.pw_name, "--", *command]
        return command

    def start(self, timeout: float = 15) -> "Dovecot":
        self.process = subprocess.Popen(
            self._command("-F"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex((self.address, self.port)) == 0:
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"dovecot did not start:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        # Its children (login and imap processes) go with the master; wait for the port.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex((self.address, self.port)) != 0:
                    return
            time.sleep(0.05)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _group(gid: int) -> str:
    import grp  # noqa: PLC0415

    return grp.getgrgid(gid).gr_name
