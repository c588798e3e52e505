"""Reports by e-mail against real processes: `ombud demo` with its mail intake, and
`ombud mail-intake` killed while a sending server streams messages to it."""

import imaplib
import re
import secrets
import smtplib
import socket
import threading
import time
from email.message import EmailMessage

import pytest

from tests.live import OmbudSite
from tests.system.http import Session
from tests.system.test_canary import _database_bytes

pytestmark = pytest.mark.system
REPORTING = "report@pycon-demo.example"


def _canary(tag: str) -> str:
    return f"MAILCANARY{secrets.token_hex(6).upper()}{tag}"


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def _message(sender, subject, body, *, to=REPORTING, files=(), message_id=None):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{secrets.token_hex(10)}@example.org>"
    message.set_content(body)
    for name, data in files:
        message.add_attachment(data, maintype="text", subtype="plain", filename=name)
    return message


def _send(port, message, to=REPORTING):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message, to_addrs=[to])


def test_a_mail_report_leaves_its_content_nowhere_in_the_clear(demo_server, mail_sink):
    _wait_for_port(demo_server.intake_port)
    sender = f"{_canary('sender').lower()}@example.org"
    subject, body = _canary("subject"), _canary("body")
    file_name, file_text = _canary("filename"), _canary("filecontent")
    addition = _canary("addition")
    first = _message(
        sender,
        f"{subject} at the venue",
        f"{body} he followed me",
        files=[(f"{file_name}.txt", f"{file_text} seen there".encode())],
    )
    _send(demo_server.intake_port, first)
    [reply] = mail_sink.wait_for(lambda ms: any(sender in m.envelope_to for m in ms)) and (
        mail_sink.to(sender)
    )
    receipt = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})\b", reply.body).group(1)
    assert reply.message["In-Reply-To"] == first["Message-ID"]
    reply_to = reply.message["Reply-To"]
    _send(demo_server.intake_port, _message(sender, "Re: it", addition, to=reply_to), reply_to)
    # The reporter reads it behind the receipt, with the file and the addition.
    page = Session(demo_server.base_url).post_form("/receipt/", {"receipt": receipt}).text
    assert body in page
    assert addition in page
    assert f"{file_name}.txt" in page
    # The team was alerted of both, with nothing of either in the alerts.
    mail_sink.wait_for(lambda ms: sum("chair@" in ",".join(m.envelope_to) for m in ms) >= 2)
    demo_server.stop()
    content = [subject, body, file_name, file_text, addition]
    stored = _database_bytes(demo_server)
    logs = demo_server.log()
    assert "Mail intake listening on" in logs
    others = b"".join(m.raw for m in mail_sink.messages() if sender not in m.envelope_to)
    theirs = b"".join(m.raw for m in mail_sink.to(sender))
    for secret in [*content, sender, receipt, receipt.replace("-", "")]:
        assert secret.encode() not in stored, f"{secret[:14]}… in the database or data"
        assert secret not in logs, f"{secret[:14]}… in the logs"
        assert secret.encode() not in others, f"{secret[:14]}… in an alert"
    for secret in content:
        assert secret.encode() not in theirs, "the reply to the sender repeats the report"


class ResendingServer:
    """A sending mail server: each message is sent until it is acknowledged with 250;
    a refused connection, a dropped one or a 4xx is tried again."""

    def __init__(self, port: int, messages: list):
        self.port = port
        self.pending = list(messages)
        self.acknowledged = []
        self.attempts = 0
        self.errors = []  # what made each retry, for the failure message
        self.done = threading.Event()

    def run(self, deadline: float) -> None:
        client = None
        while self.pending and time.monotonic() < deadline:
            message = self.pending[0]
            try:
                if client is None:
                    client = smtplib.SMTP("127.0.0.1", self.port, timeout=10)
                self.attempts += 1
                client.send_message(message, to_addrs=[REPORTING])
            except (OSError, smtplib.SMTPException) as exc:
                self.errors.append(repr(exc)[:200])
                client = None
                time.sleep(0.05)
                continue
            self.acknowledged.append(self.pending.pop(0))
        self.done.set()


@pytest.fixture
def new_site(tmp_path, mail_sink):
    """A seeded data directory; every process started on it is stopped afterwards,
    whatever the test's outcome."""
    made = []

    def make(**env):
        made.append(OmbudSite(tmp_path / "data", email_url=mail_sink.url, env=env).setup())
        return made[-1]

    yield make
    for each in made:
        each.stop()


def test_mail_intake_killed_while_messages_stream_in_files_each_in_exactly_one_case(new_site):
    site = new_site()
    intake = site.mail_intake().start()
    # Bounded from here: migrating and seeding a fresh site is not what is measured.
    started = time.monotonic()
    count = 40
    messages = [
        _message(f"reporter{n}@example.org", f"report {n}", f"STREAM{n:03d} what I saw")
        for n in range(count)
    ]
    sender = ResendingServer(site.intake_port, messages)
    thread = threading.Thread(target=sender.run, args=(started + 45,), daemon=True)
    thread.start()
    kills = 0
    for after in (5, 15, 28):
        while len(sender.acknowledged) < min(after, count - 1) and not sender.done.is_set():
            time.sleep(0.01)
        intake.kill()  # SIGKILL, mid-stream: no chance to finish anything
        kills += 1
        time.sleep(0.3)
        intake.start()
    thread.join(timeout=max(1, started + 50 - time.monotonic()))
    assert not sender.pending, (
        f"{len(sender.pending)} never acknowledged; last errors {sender.errors[-3:]}\n"
        + intake.log()[-3000:]
    )
    intake.stop()
    assert intake.process.returncode == 0, intake.log()  # SIGTERM: a clean stop
    ids = ",".join(repr(m["Message-ID"]) for m in messages)
    output = site.command("shell", "-c", _COUNT.replace("IDS", ids)).stdout
    counted = output.strip().splitlines()[-4:]
    assert counted == [str(count), str(count), str(count), "0"], counted
    assert sender.attempts >= count  # some were sent again after a kill
    assert kills == 3
    assert time.monotonic() - started < 60


def test_mail_intake_empties_the_installation_mailbox_and_stops_cleanly(new_site):
    """`ombud mail-intake` with OMBUD_INTAKE_IMAP_URL: a real Dovecot, a message for the
    demo's reporting address, sealed and gone from the mailbox; SIGTERM stops it."""
    from tests.intake.mail.dovecot import USER, Dovecot  # noqa: PLC0415

    dovecot = Dovecot().start()
    try:
        site = new_site(OMBUD_INTAKE_IMAP_URL=dovecot.url)
        intake = site.mail_intake(imap=True).start()
        subject, body, file_text = _canary("imapsubject"), _canary("imapbody"), _canary("imapfile")
        message = _message(
            "imap.reporter@example.org",
            subject,
            body,
            files=[("notes.txt", f"{file_text} notes".encode())],
        )
        client = imaplib.IMAP4("127.0.0.1", dovecot.port)
        client.login(USER, dovecot.password)
        client.append(
            "INBOX", None, None, message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        )
        deadline, left = time.monotonic() + 30, b"1"
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            client.select("INBOX")
            left = client.uid("SEARCH", None, "ALL")[1][0]
        client.logout()
        assert not left, intake.log()
        # No worker runs here: the reply waits in the outbox, sealed.
        counted = site.command("shell", "-c", _FILED).stdout.strip().splitlines()[-1]
        assert counted == "1 1"
        stopping = time.monotonic()
        intake.stop()
        assert intake.process.returncode == 0, intake.log()
        assert time.monotonic() - stopping < 15
        assert dovecot.password not in intake.log()
        # Nothing of it at rest in the clear: database, data directory, the reply queued.
        stored = _database_bytes(site)
        for secret in (subject, body, file_text, "imap.reporter@example.org"):
            assert secret.encode() not in stored
            assert secret not in intake.log()
    finally:
        dovecot.cleanup()


_FILED = """
from ombud.cases.models import Report
from ombud.notify.models import OutboxMessage
replies = OutboxMessage.objects.filter(kind="to_reporter").count()
print(Report.objects.filter(channel="mail").count(), replies)
"""


# Per message: one inbound row, with a report; reports from the listener; duplicates.
_COUNT = """
from ombud.cases.models import Report
from ombud.intake.channels import inbound
from ombud.intake.models import InboundMessage, IntakeChannel
channel = IntakeChannel.objects.get(kind="mail", address="report@pycon-demo.example")
rows = [
    InboundMessage.objects.filter(
        source_digest=inbound.source_digest("mail", f"{channel.pk}:{mid}")
    ).first()
    for mid in [IDS]
]
print(sum(r is not None for r in rows))
print(sum(r is not None and r.report_id is not None for r in rows))
print(Report.objects.filter(channel="mail").count())
print(len(rows) - len({r.report_id for r in rows if r}))
"""
