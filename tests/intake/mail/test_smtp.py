"""Ombud's SMTP listener, over real SMTP on loopback: 250 only after the commit,
550 for an address that is none of ours, 552 for a message over the limit."""

import smtplib
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from ombud.cases.models import Report
from ombud.cases.services import reporter
from ombud.intake.channels import smtp
from ombud.intake.models import InboundMessage
from ombud.notify import worker
from tests.intake.mail.messages import REPORTING, SENDER, mail, receipt_in, wire
from tests.live import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(reporting):
    """The listener, its database work in one thread sharing the test's connection (and
    so its transaction), as Django's live server shares an in-memory database."""
    shared = connections["default"]
    shared.inc_thread_sharing()

    def share():
        connections["default"] = shared

    executor = ThreadPoolExecutor(max_workers=1, initializer=share)
    running = smtp.Listener(f"127.0.0.1:{free_port()}", executor=executor).start()
    yield running
    running.stop()
    shared.dec_thread_sharing()


def _send(listener, message, to=REPORTING, sender=SENDER):
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
        return client.sendmail(sender, [to], wire(message))


def test_a_report_by_smtp_is_answered_with_its_receipt_and_read_behind_it(
    listener, mail_sink, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mail_sink.port
    message = mail("SMTPCANARY in the hallway", headers={"Reply-To": "elsewhere@example.net"})
    assert _send(listener, message) == {}
    # 250 came after the commit: the report is there the moment the client has it.
    report = Report.objects.get()
    worker.deliver_due()
    mail_sink.wait_for(lambda got: any(SENDER in m.envelope_to for m in got))
    [reply] = mail_sink.to(SENDER)
    assert reply.envelope_to == [SENDER]  # only the sender, never Reply-To
    assert reply.message["In-Reply-To"] == message["Message-ID"]
    assert reply.message["X-Ombud-Loop"]
    assert reply.message["Auto-Submitted"] == "auto-replied"
    view = reporter.view(receipt_in(reply.body))
    assert view.report == report
    assert "SMTPCANARY in the hallway" in view.content["what_happened"]
    # A reply to the reply, as a mail program sends it, joins the case.
    answer = mail("and he came back", subject="Re: " + reply.subject)
    answer["In-Reply-To"] = reply.message["Message-ID"]
    _send(listener, answer, to=reply.message["Reply-To"])
    assert [t.text for t in reporter.view(receipt_in(reply.body)).thread] == [
        "Re: " + reply.subject + "\n\nand he came back"
    ]


def test_an_unknown_address_is_refused_at_rcpt(listener):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(listener, mail("x", to="nobody@conf.example"), to="nobody@conf.example")
    [(code, _text)] = refused.value.recipients.values()
    assert code == 550
    assert not Report.objects.exists()


def test_a_20_mb_message_is_refused_at_data_with_552(listener):
    big = mail(
        "big", files=[("big.pdf", b"%PDF-1.4\n" + bytes(20 * 1024 * 1024), "application", "pdf")]
    )
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(listener, big)
    assert refused.value.smtp_code == 552
    assert not Report.objects.exists()
    assert InboundMessage.objects.get().reason == InboundMessage.Reason.TOO_LARGE


def test_an_unreadable_message_is_refused_with_554(listener):
    with (
        smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        client.sendmail(SENDER, [REPORTING], b"Subject: no sender\r\n\r\n\xff\xfe")
    assert refused.value.smtp_code == 554
    assert not Report.objects.exists()


def test_a_bounce_is_taken_and_counted_not_filed(listener):
    assert _send(listener, mail("Undeliverable"), sender="") == {}
    assert not Report.objects.exists()
    assert InboundMessage.objects.get().reason == InboundMessage.Reason.BOUNCE


def test_the_same_message_resent_by_a_server_is_one_case(listener):
    message = mail("twice")
    _send(listener, message)
    _send(listener, message)
    assert Report.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_database_that_is_away_is_a_451_so_the_server_retries(listener, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("database is away")

    monkeypatch.setattr(smtp, "deliver", broken)
    with (
        smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client,
        pytest.raises(smtplib.SMTPDataError) as later,
    ):
        client.sendmail(SENDER, [REPORTING], wire(mail("later")))
    assert later.value.smtp_code == 451
