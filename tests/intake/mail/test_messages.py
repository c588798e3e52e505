"""One e-mail into a report, a thread, or a counted refusal (intake.channels.mail),
and the reply that carries the receipt back to the sender only."""

import secrets

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from ombud.cases.models import Channel, Report, TimelineEntry
from ombud.cases.services import reporter
from ombud.events.models import EventText
from ombud.intake.channels import mail
from ombud.intake.models import InboundMessage
from ombud.notify.models import OutboxMessage
from tests.intake.mail.messages import PNG, REPORTING, SENDER, receipt_in, replies
from tests.intake.mail.messages import mail as build

pytestmark = pytest.mark.django_db
Reason = InboundMessage.Reason


def _receive(message, address=REPORTING, **options):
    channel, token = mail.channel_for(address)
    raw = message if isinstance(message, bytes) else message.as_bytes()
    return mail.receive(raw, channel, token, **options)


def test_a_mail_becomes_a_sealed_report_and_the_sender_gets_the_receipt(reporting):
    message = build("MAILBODYCANARY he grabbed my arm", subject="MAILSUBJECTCANARY at the party")
    message["Reply-To"] = "someone.else@example.net"
    outcome = mail.receive(message.as_bytes(), reporting)
    assert outcome.smtp_code == 250
    report = outcome.received.report
    assert report.channel == Channel.MAIL
    assert b"MAILBODYCANARY" not in bytes(report.sealed)
    [reply] = replies()
    assert reply["to"] == SENDER  # never the Reply-To the message names
    headers = reply["headers"]
    assert headers["From"] == f"Conf <{REPORTING}>"
    assert headers["In-Reply-To"] == headers["References"] == message["Message-ID"]
    assert headers["Reply-To"].startswith("conduct+")
    assert headers["Reply-To"].endswith("@conf.example")
    assert headers["Auto-Submitted"] == "auto-replied"
    assert headers[mail.LOOP_HEADER]
    assert "http://testserver/receipt/" in reply["body"]
    view = reporter.view(receipt_in(reply["body"]))
    assert view.report == report
    assert view.content["what_happened"].startswith("MAILSUBJECTCANARY at the party\n\n")
    assert "MAILBODYCANARY he grabbed my arm" in view.content["what_happened"]
    assert view.content["contact"] == SENDER
    # In the outbox nothing of it is in the clear.
    row = OutboxMessage.objects.get(kind=OutboxMessage.Kind.TO_REPORTER)
    assert SENDER.encode() not in bytes(row.sealed_envelope)
    assert TimelineEntry.objects.filter(
        case=report.case, kind=TimelineEntry.Kind.RECEIPT_SENT
    ).exists()


def test_the_reply_is_in_the_reports_language_with_the_events_own_words(reporting):
    EventText.objects.create(
        event=reporting.event, language="de", what_happens_next="Wir melden uns bei dir."
    )
    message = build("Jemand hat mich belästigt.", headers={"Content-Language": "de"})
    outcome = _receive(message)
    assert outcome.received.report.language == "de"
    [reply] = replies()
    assert "Wir melden uns bei dir." in reply["body"]
    assert "Jemand aus dem Team übernimmt sie innerhalb von" in reply["body"]
    assert reply["headers"]["Content-Language"] == "de"


def test_a_reply_to_ombuds_mail_joins_the_case_by_address_or_by_in_reply_to(reporting):
    first = _receive(build("FIRSTCANARY")).received
    [reply] = replies()
    by_address = _receive(
        build("SECONDCANARY more details", subject="Re: it"), address=reply["headers"]["Reply-To"]
    )
    assert by_address.received.outcome == InboundMessage.Outcome.ADDED
    by_header = _receive(
        build(
            "THIRDCANARY one more",
            headers={"In-Reply-To": reply["headers"]["Message-ID"]},
        )
    )
    assert by_header.received.outcome == InboundMessage.Outcome.ADDED
    assert by_header.received.report == first.report
    thread = reporter.view(receipt_in(reply["body"])).thread
    assert ["SECONDCANARY" in t.text for t in thread] == [True, False]
    assert "THIRDCANARY one more" in thread[1].text
    assert Report.objects.count() == 1
    assert len(replies()) == 1  # an addition gets no second receipt


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "list", "List-Id": "<conduct.example.org>"},
        {"Auto-Submitted": "auto-forwarded"},
    ],
)
def test_a_report_passed_on_by_a_conduct_group_or_forwarding_rule_is_filed(reporting, headers):
    outcome = _receive(build("LISTCANARY someone grabbed me", headers=headers))
    assert outcome.received.outcome == InboundMessage.Outcome.FILED


def test_the_token_from_another_sender_opens_a_new_report(reporting):
    _receive(build("FIRST"))
    [reply] = replies()
    other = _receive(build("intruder", sender="other@example.net"), reply["headers"]["Reply-To"])
    assert other.received.outcome == InboundMessage.Outcome.FILED
    assert Report.objects.count() == 2


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, Reason.AUTO_REPLY),
        ({"Precedence": "bulk"}, Reason.AUTO_REPLY),
        ({"X-Autoreply": "yes"}, Reason.AUTO_REPLY),
        ({"X-Autorespond": "Out of office"}, Reason.AUTO_REPLY),
        ({"Return-Path": "<>"}, Reason.BOUNCE),
        ({mail.LOOP_HEADER: "1"}, Reason.LOOP),
        ({"X-Spam-Flag": "YES"}, Reason.SPAM),
    ],
)
def test_what_is_not_a_report_is_counted_not_filed(reporting, headers, reason):
    outcome = _receive(build("I am away until Monday", headers=headers))
    assert outcome.reason == reason
    assert outcome.smtp_code == 250  # taken: an automatic sender is never answered
    assert not Report.objects.exists()
    assert not replies()
    row = InboundMessage.objects.get()
    assert (row.outcome, row.reason, row.channel) == ("refused", reason, reporting)


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mx.example.org", "postmaster@example.org", REPORTING]
)
def test_bounces_and_our_own_mail_are_not_reports(reporting, sender):
    outcome = _receive(build("Delivery failed", sender=sender))
    assert outcome.reason in (Reason.BOUNCE, Reason.LOOP)
    assert not Report.objects.exists()


def test_a_delivery_report_and_an_empty_envelope_sender_are_bounces(reporting):
    report = build("Your message could not be delivered")
    report.replace_header(
        "Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"'
    )
    assert _receive(report).reason == Reason.BOUNCE
    assert _receive(build("x"), envelope_sender="").reason == Reason.BOUNCE
    assert not Report.objects.exists()


def test_a_flood_from_one_sender_is_refused_after_the_limit(reporting, settings):
    settings.INTAKE_MAIL_PER_SENDER_HOUR = 3
    outcomes = [_receive(build(f"message {n}")) for n in range(4)]
    assert [o.received.outcome for o in outcomes[:3]] == ["filed"] * 3
    assert outcomes[3].reason == Reason.FLOOD
    assert outcomes[3].smtp_code == 550
    assert _receive(build("me too", sender="someone.else@example.org")).received.report


def test_a_message_held_back_by_the_flood_limit_is_filed_when_sent_again_later(reporting, settings):
    settings.INTAKE_MAIL_PER_SENDER_HOUR = 1
    _receive(build("first"))
    late = build("second", message_id="<late@example.org>")
    assert _receive(late).reason == Reason.FLOOD
    settings.INTAKE_MAIL_PER_SENDER_HOUR = 10
    assert _receive(late).received.outcome == "filed"
    assert Report.objects.count() == 2


def test_html_is_read_as_text_and_attachments_follow_the_attachment_rules(reporting):
    message = build(
        None,
        html="<html><head><style>p{}</style><script>x()</script></head><body>"
        "<p>He said <b>this</b> &amp; that</p><ul><li>first</li></ul></body></html>",
        files=[
            ("photo.png", PNG, "image", "png"),
            ("tool.exe", b"MZ\x90\x00" + bytes(200), "application", "octet-stream"),
        ],
    )
    outcome = _receive(message)
    [reply] = replies()
    view = reporter.view(receipt_in(reply["body"]))
    text = view.content["what_happened"]
    assert "He said this & that" in text
    assert "- first" in text
    assert "x()" not in text
    assert "p{}" not in text
    # The refused file is named in the report, the message is not lost.
    assert "“tool” is not a kind of file we can take" in text
    assert [f["name"] for f in view.files] == ["photo.png"]
    assert outcome.received.outcome == "filed"


def test_a_message_over_the_size_limit_is_refused_with_552(reporting, settings):
    settings.INTAKE_MAIL_MAX_BYTES = 100_000
    big = build("big", files=[("big.txt", b"a" * 200_000, "text", "plain")])
    outcome = _receive(big)
    assert (outcome.smtp_code, outcome.reason) == (552, Reason.TOO_LARGE)
    assert not Report.objects.exists()
    assert InboundMessage.objects.get().reason == Reason.TOO_LARGE


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\x00garbage without any header at all",
        b"From: nobody\r\nSubject: x\r\n\r\nno address in From",
        b"",
    ],
)
def test_unreadable_messages_are_refused_clearly(reporting, raw):
    outcome = _receive(raw)
    assert outcome.smtp_code in (554, 250)
    assert outcome.reason in (Reason.MALFORMED, Reason.EMPTY)
    assert not Report.objects.exists()


def test_broken_mime_and_invalid_utf8_headers_still_file_what_can_be_read(reporting):
    raw = (
        b"From: \xff\xfe Ria <ria@example.org>\r\nTo: conduct@conf.example\r\n"
        b"Subject: caf\xe9 \xff BROKENCANARY\r\nMessage-ID: <broken@example.org>\r\n"
        b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"not base64 at all !!!\r\n--zz\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n"
        b"second \xff part"
    )
    outcome = _receive(raw)
    assert outcome.received.outcome == "filed"
    [reply] = replies()
    assert reply["to"] == "ria@example.org"
    text = reporter.view(receipt_in(reply["body"])).content["what_happened"]
    assert "BROKENCANARY" in text


def test_an_unknown_address_is_refused_and_counted(reporting):
    outcome = _receive(build("hello", to="nobody@conf.example"), address="nobody@conf.example")
    assert (outcome.smtp_code, outcome.reason) == (550, Reason.UNKNOWN_ADDRESS)
    assert not Report.objects.exists()


def test_the_same_message_twice_is_one_report_and_one_reply(reporting):
    message = build("once", message_id="<same@example.org>")
    first = _receive(message)
    again = _receive(message)
    assert again.received.repeated
    assert again.received.report == first.received.report
    assert Report.objects.count() == 1
    assert len(replies()) == 1


def test_a_message_without_message_id_is_known_by_its_bytes(reporting):
    message = build("no id")
    del message["Message-ID"]
    raw = message.as_bytes()
    assert _receive(raw).received.outcome == "filed"
    assert _receive(raw).received.repeated
    assert Report.objects.count() == 1


def test_a_paused_address_is_no_address(reporting):
    reporting.enabled = False
    reporting.save()
    assert _receive(build("x")).reason == Reason.UNKNOWN_ADDRESS


def test_a_message_longer_than_a_report_holds_is_kept_whole_as_a_file(reporting):
    long = "LONGSTART " + "word " * 5000 + "LONGEND"
    _receive(build(long))
    [reply] = replies()
    view = reporter.view(receipt_in(reply["body"]))
    assert "all of it is in the file message.txt" in view.content["what_happened"]
    assert "LONGSTART" in view.content["what_happened"]
    [kept] = view.files
    assert kept["name"] == "message.txt"
    opened = reporter.open_file(receipt_in(reply["body"]), kept["id"])
    assert opened.data.decode().endswith("LONGEND")


def test_a_message_of_only_a_file_is_a_report(reporting):
    message = build(None, subject="", files=[("photo.png", PNG, "image", "png")])
    del message["Subject"]
    outcome = _receive(message)
    assert outcome.received.outcome == "filed"
    [reply] = replies()
    assert [f["name"] for f in reporter.view(receipt_in(reply["body"])).files] == ["photo.png"]


_HEADERS = st.sampled_from(
    [
        b"Content-Type: multipart/mixed; boundary=x\r\n",
        b"Content-Type: text/html; charset=utf-7\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Subject: =?utf-8?b?////?=\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Disposition: attachment; filename*=utf-8''%ff%fe.png\r\n",
        b"In-Reply-To: <ombud.\xff@x>\r\n",
        b"\xff\xfe: \x00\r\n",
    ]
)


@examples(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(headers=st.lists(_HEADERS, max_size=4), rest=st.binary(max_size=1500))
def test_whatever_the_bytes_the_answer_is_a_report_or_a_refusal(reporting, headers, rest):
    raw = b"From: fuzz-" + secrets.token_hex(4).encode() + b"@example.org\r\n"
    raw += b"".join(headers) + b"\r\n" + rest
    outcome = _receive(raw)
    assert outcome.smtp_code in (250, 550, 552, 554)
    assert outcome.received.outcome in InboundMessage.Outcome.values
