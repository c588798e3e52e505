"""Reports from a mailbox over IMAP, against a real Dovecot on loopback: fetched,
sealed, then deleted (or moved); the server going away mid-poll loses nothing."""

import imaplib
import threading
import time

import pytest

from ombud.cases.models import Report
from ombud.cases.services import reporter
from ombud.intake.channels import config, imap, mail
from ombud.intake.models import InboundMessage, IntakeChannel
from tests.intake.mail.dovecot import USER, Dovecot
from tests.intake.mail.messages import mail as build
from tests.intake.mail.messages import receipt_in, replies, wire

pytestmark = pytest.mark.django_db


def _client(server) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(USER, server.password)
    return client


def _append(server, *messages, folder="INBOX") -> None:
    client = _client(server)
    try:
        for message in messages:
            client.append(folder, None, None, wire(message))
    finally:
        client.logout()


def _count(server, folder="INBOX", *criteria) -> int:
    client = _client(server)
    try:
        client.select(folder)
        _status, data = client.uid("SEARCH", None, *(criteria or ("UNDELETED",)))
        return len((data[0] or b"").split())
    finally:
        client.logout()


def _until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def mailbox(reporting, dovecot):
    """The event's reporting address as a mailbox Ombud checks."""
    reporting.provider = IntakeChannel.Provider.IMAP
    config.seal(reporting, {"imap_url": dovecot.url})
    reporting.save()
    return reporting


def _poll(in_thread, url, channel, *, seconds=1):
    stop = threading.Event()
    poller = imap.Poller(url, channel, stop, poll=seconds)
    thread = in_thread(poller.run)
    return stop, thread


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "polling"])
def test_mail_in_the_mailbox_is_fetched_sealed_and_deleted(mailbox, dovecot, in_thread, idle):
    server = dovecot if idle else Dovecot(idle=False).start()
    try:
        stop, thread = _poll(in_thread, server.url, mailbox)
        _append(server, build("IMAPCANARY first"))
        _until(lambda: _count(server, "INBOX", "ALL") == 0)
        # After the first the poller waits (in IDLE, or its interval): a later one comes too.
        _append(server, build("IMAPCANARY second"))
        _until(lambda: _count(server, "INBOX", "ALL") == 0)
        stop.set()
        thread.join(timeout=30)
    finally:
        if server is not dovecot:
            server.cleanup()
    assert Report.objects.count() == 2
    texts = sorted(reporter.view(receipt_in(r["body"])).content["what_happened"] for r in replies())
    assert [t.split("\n\n")[1] for t in texts] == ["IMAPCANARY first", "IMAPCANARY second"]
    mailbox.refresh_from_db()
    assert mailbox.last_ok_at is not None
    assert mailbox.last_error == ""


def test_sealed_mail_is_moved_to_the_folder_the_organiser_named(mailbox, dovecot, in_thread):
    mailbox.imap_done_folder = "Sealed reports"  # not there yet: Ombud makes it
    mailbox.save()
    _append(dovecot, build("moved"))
    poller = imap.Poller(dovecot.url, mailbox, threading.Event())
    connection = imap.Mailbox.from_url(dovecot.url).connect()
    assert poller.take_all(connection) == 1
    connection.logout()
    assert _count(dovecot, "INBOX", "ALL") == 0
    assert _count(dovecot, '"Sealed reports"', "ALL") == 1
    assert Report.objects.count() == 1


def test_the_shared_mailbox_routes_by_address_and_keeps_what_it_cannot_take(
    reporting, dovecot, settings
):
    settings.INTAKE_MAIL_MAX_BYTES = 50_000
    _append(
        dovecot,
        build("routed by To"),
        build("to nobody", to="nobody@elsewhere.example"),
        build("too big", files=[("big.txt", b"a" * 80_000, "text", "plain")]),
        build("out of office", headers={"Auto-Submitted": "auto-replied"}),
    )
    poller = imap.Poller(dovecot.url, None, threading.Event())
    connection = imap.Mailbox.from_url(dovecot.url).connect()
    assert poller.take_all(connection) == 4
    # What it kept is not fetched again.
    assert poller.take_all(connection) == 0
    connection.logout()
    assert Report.objects.get().event == reporting.event
    reasons = sorted(InboundMessage.objects.exclude(reason="").values_list("reason", flat=True))
    assert reasons == ["auto_reply", "too_large", "unknown_address"]
    # The report and the auto-reply left the mailbox; the other two wait for a person.
    assert _count(dovecot, "INBOX", "ALL") == 2
    assert _count(dovecot, "INBOX", "KEYWORD", imap.LEFT_KEYWORD) == 2


def test_a_reply_through_the_mailbox_joins_the_case(mailbox, dovecot):
    poller = imap.Poller(dovecot.url, mailbox, threading.Event())
    _append(dovecot, build("first"))
    connection = imap.Mailbox.from_url(dovecot.url).connect()
    poller.take_all(connection)
    [reply] = replies()
    _append(dovecot, build("later", to=reply["headers"]["Reply-To"]))
    assert poller.take_all(connection) == 1
    connection.logout()
    assert [t.text for t in reporter.view(receipt_in(reply["body"])).thread] == [
        "Harassment at the venue\n\nlater"
    ]


def test_the_server_going_away_mid_poll_loses_nothing(mailbox, dovecot, in_thread, monkeypatch):
    _append(dovecot, *(build(f"message {n}", sender=f"r{n}@example.org") for n in range(3)))
    filed = []
    real_receive = mail.receive

    def receive_then_the_server_dies(*args, **kwargs):
        outcome = real_receive(*args, **kwargs)
        filed.append(outcome)
        if len(filed) == 1:
            dovecot.stop()  # committed, not yet deleted from the mailbox
        return outcome

    monkeypatch.setattr(mail, "receive", receive_then_the_server_dies)
    stop, thread = _poll(in_thread, dovecot.url, mailbox)
    _until(lambda: dovecot.process.poll() is not None)
    _until(lambda: IntakeChannel.objects.get(pk=mailbox.pk).last_error != "")
    error = IntakeChannel.objects.get(pk=mailbox.pk).last_error
    assert dovecot.password not in error
    assert USER not in error
    dovecot.start()
    _until(lambda: _count(dovecot, "INBOX", "ALL") == 0, timeout=40)
    stop.set()
    thread.join(timeout=30)
    assert Report.objects.count() == 3
    assert InboundMessage.objects.count() == 3
    assert any(o.received.repeated for o in filed)  # the first, fetched again: no new case
    assert IntakeChannel.objects.get(pk=mailbox.pk).last_error == ""


def test_each_events_imap_channel_and_the_shared_mailbox_are_checked(mailbox, settings):
    settings.INTAKE_IMAP_URL = "imaps://shared:secret@imap.example.org/INBOX"
    found = imap.mailboxes()
    assert found[(settings.INTAKE_IMAP_URL, None)] is None
    assert found[(config.opened(mailbox)["imap_url"], mailbox.pk)] == mailbox
    mailbox.enabled = False
    mailbox.save()
    assert len(imap.mailboxes()) == 1


def test_a_mailbox_url_is_read_with_its_secrets_unquoted():
    box = imap.Mailbox.from_url("imaps://conduct%40ex.org:p%2Fw@imap.ex.org/Reports%20In")
    assert (box.user, box.password, box.host, box.port, box.folder, box.secure) == (
        "conduct@ex.org",
        "p/w",
        "imap.ex.org",
        993,
        "Reports In",
        True,
    )
    with pytest.raises(ValueError, match="imaps://"):
        imap.Mailbox.from_url("https://example.org")


def test_a_password_is_not_sent_in_the_clear_beyond_loopback():
    # The same server without TLS, on this machine's own non-loopback address.
    address = _non_loopback_address()
    if address is None:
        pytest.fail("this machine has no non-loopback address to test with")
    server = Dovecot(address=address).start()
    try:
        with pytest.raises(ValueError, match="only for loopback"):
            imap.Mailbox.from_url(server.url).connect(timeout=5)
        assert "Login: user=<conduct>" not in server.log()
    finally:
        server.cleanup()


def _non_loopback_address():
    import socket  # noqa: PLC0415

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_a_message_that_cannot_be_taken_does_not_hold_up_the_others(mailbox, dovecot, monkeypatch):
    _append(dovecot, build("POISON"), build("fine one", sender="other@example.org"))
    real_receive = mail.receive

    def a_bug_on_one_message(raw, *args, **kwargs):
        if b"POISON" in raw:
            raise KeyError("a bug")
        return real_receive(raw, *args, **kwargs)

    monkeypatch.setattr(mail, "receive", a_bug_on_one_message)
    poller = imap.Poller(dovecot.url, mailbox, threading.Event())
    connection = imap.Mailbox.from_url(dovecot.url).connect()
    assert poller.take_all(connection) == 2
    assert poller.take_all(connection) == 0  # not fetched again and again
    connection.logout()
    assert Report.objects.count() == 1
    assert _count(dovecot, "INBOX", "KEYWORD", imap.LEFT_KEYWORD) == 1
