"""Oral reports: the reporter reads the account a staff member wrote down and confirms
or corrects it; the receipt sent on by e-mail or text; replies in full only on the
reporter's explicit request, sealed in the outbox."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.cases.models import Channel, Message, Report, TimelineEntry
from ombud.cases.services import oral, replies, reporter, work
from ombud.intake.channels import inbound
from ombud.intake.models import IntakeChannel
from ombud.notify import envelope
from ombud.notify.models import OutboxMessage
from ombud.vault import receipts
from tests import factories

pytestmark = pytest.mark.django_db

CANARY = "ORALCANARY-77d1"


def _taken(cast, channel=Channel.IN_PERSON, **fields):
    fields.setdefault("what_happened", f"{CANARY} he grabbed my arm at the party")
    return factories.file_report(cast.event, channel=channel, taken_by=cast.staff, **fields)


@pytest.fixture
def texts(cast):
    return IntakeChannel.objects.create(
        event=cast.event,
        kind=IntakeChannel.Kind.SMS,
        provider=IntakeChannel.Provider.GATEWAY,
        address="+4930555000",
    )


@pytest.fixture
def mailbox(cast):
    return IntakeChannel.objects.create(
        event=cast.event,
        kind=IntakeChannel.Kind.MAIL,
        provider=IntakeChannel.Provider.LISTENER,
        address="report@conf.example",
    )


def _clear_in(row: OutboxMessage, *needles) -> list:
    """Which of ``needles`` sit in the outbox row's clear columns."""
    clear = " ".join(str(v) for v in (row.address, row.context, row.last_error))
    return [n for n in needles if n in clear]


# Confirming and correcting


def test_a_report_staff_took_in_person_or_by_phone_is_oral_and_others_are_not(cast):
    assert _taken(cast).report.taken_orally
    assert _taken(cast, Channel.PHONE).report.taken_orally
    assert not _taken(cast, Channel.WRITTEN).report.taken_orally
    assert not factories.file_report(cast.event).report.taken_orally


def test_the_reporter_confirms_the_written_account_once(cast):
    submission = _taken(cast)
    reporter.confirm_account(submission.receipt)
    report = Report.objects.get(pk=submission.report.pk)
    assert report.confirmation == "confirmed"
    assert report.confirmed_at is not None
    entry = report.case.timeline.get(kind=TimelineEntry.Kind.CONFIRMATION)
    assert entry.by_reporter
    assert entry.detail == {"corrected": False}
    assert entry.describe() == "Confirmed by the reporter"
    assert Entry.objects.filter(action="report.confirmed_by_reporter").count() == 1
    with pytest.raises(reporter.NothingToConfirm):
        reporter.confirm_account(submission.receipt)


def test_a_report_the_reporter_wrote_themselves_has_nothing_to_confirm(cast):
    submission = factories.file_report(cast.event)
    with pytest.raises(reporter.NothingToConfirm):
        reporter.confirm_account(submission.receipt)
    with pytest.raises(reporter.NothingToConfirm):
        reporter.correct_account(submission.receipt, "It was different.")
    assert Report.objects.get().confirmation == ""


def test_a_correction_is_added_sealed_read_for_recusal_and_alerted(cast):
    submission = _taken(cast)
    OutboxMessage.objects.all().delete()
    message = reporter.correct_account(
        submission.receipt, "CORRECTIONCANARY it was Rita Responder, not a stranger"
    )
    report = Report.objects.get(pk=submission.report.pk)
    assert report.confirmation == "corrected"
    assert message.direction == Message.Direction.FROM_REPORTER
    assert b"CORRECTIONCANARY" not in bytes(message.sealed)
    # Named in the correction: kept away before anyone is alerted.
    assert "responder" in factories.recused(report.case)
    alerted = set(OutboxMessage.objects.values_list("recipient__username", flat=True))
    assert set(OutboxMessage.objects.values_list("kind", flat=True)) == {"reporter_added"}
    assert "responder" not in alerted
    assert alerted
    entry = report.case.timeline.get(kind=TimelineEntry.Kind.CONFIRMATION)
    assert entry.detail == {"corrected": True}
    assert entry.describe() == "Corrected by the reporter"
    # The reporter and the team see it as a correction, the written account unchanged.
    view = reporter.view(submission.receipt)
    assert [(t.text, t.correction) for t in view.thread] == [
        ("CORRECTIONCANARY it was Rita Responder, not a stranger", True)
    ]
    assert CANARY in view.content["what_happened"]
    lead = factories.holding_key(cast.lead)
    opened = work.open_case(factories.declared(report.case, cast.lead), by=lead)
    assert [m.correction for m in opened.messages] == [True]
    assert Entry.objects.filter(action="report.corrected_by_reporter").count() == 1


def test_a_correction_may_follow_a_confirmation_and_an_empty_one_is_refused(cast):
    submission = _taken(cast)
    reporter.confirm_account(submission.receipt)
    with pytest.raises(ValueError, match="empty"):
        reporter.correct_account(submission.receipt, "   ")
    reporter.correct_account(submission.receipt, "I remembered: it was 10 pm.")
    assert Report.objects.get().confirmation == "corrected"


def test_an_unknown_receipt_confirms_nothing(cast):
    _taken(cast)
    with pytest.raises(reporter.UnknownReceipt):
        reporter.confirm_account(receipts.new_receipt())


# The receipt sent on


def test_the_staff_member_sends_the_receipt_by_email_sealed_without_keeping_the_address(
    cast, mailbox
):
    submission = _taken(cast)
    OutboxMessage.objects.all().delete()
    oral.send_receipt(
        submission.report, submission.receipt, "email", "reporter@example.org", by=cast.staff
    )
    row = OutboxMessage.objects.get()
    assert row.kind == OutboxMessage.Kind.TO_REPORTER
    assert row.context["via"] == "email"
    assert _clear_in(row, "reporter@example.org", submission.receipt) == []
    sealed = envelope.opened(row)
    assert sealed["to"] == "reporter@example.org"
    assert receipts.display(submission.receipt) in sealed["body"]
    assert "confirm it, or correct it" in sealed["body"]
    assert sealed["headers"]["From"] == "Conf <report@conf.example>"
    assert sealed["headers"][replies.LOOP_HEADER] == "conf"
    entry = submission.report.case.timeline.get(kind=TimelineEntry.Kind.RECEIPT_SENT)
    assert entry.detail == {"via": "email"}
    assert entry.actor == cast.staff
    logged = Entry.objects.get(action="receipt.sent")
    assert "reporter@example.org" not in str(logged.__dict__)


def test_the_receipt_goes_by_text_only_through_the_events_text_number(cast, texts):
    submission = _taken(cast, Channel.PHONE)
    OutboxMessage.objects.all().delete()
    oral.send_receipt(
        submission.report, submission.receipt, "sms", "+49 (151) 234-5678", by=cast.staff
    )
    row = OutboxMessage.objects.get()
    assert row.context == {"via": "sms", "intake_channel": texts.pk}
    assert _clear_in(row, "+491512345678", "1512345678") == []
    sealed = envelope.opened(row)
    assert sealed["to"] == "+491512345678"
    assert receipts.display(submission.receipt) in sealed["body"]


def test_no_text_without_a_text_number_and_no_nonsense_addresses(cast):
    submission = _taken(cast)
    for via, to in (("sms", "+491512345678"), ("email", "not an address"), ("fax", "x@y.org")):
        with pytest.raises(oral.ReceiptNotSent):
            oral.send_receipt(submission.report, submission.receipt, via, to, by=cast.staff)
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.TO_REPORTER).exists()
    assert not Entry.objects.filter(action="receipt.sent").exists()


def test_a_bad_number_is_refused(cast, texts):
    submission = _taken(cast)
    for number in ("call me", "12", "+1234567890123456789"):
        with pytest.raises(oral.ReceiptNotSent):
            oral.send_receipt(submission.report, submission.receipt, "sms", number, by=cast.staff)


def test_only_the_staff_member_who_took_it_sends_it_with_its_own_receipt_and_soon(cast):
    submission = _taken(cast)
    other = _taken(cast)
    send = oral.send_receipt
    with pytest.raises(oral.ReceiptNotSent):
        send(submission.report, submission.receipt, "email", "a@b.org", by=cast.lead)
    with pytest.raises(oral.ReceiptNotSent):
        send(submission.report, other.receipt, "email", "a@b.org", by=cast.staff)
    Report.objects.filter(pk=submission.report.pk).update(
        received_at=timezone.now() - oral.GIVING_WINDOW - timedelta(minutes=1)
    )
    late = Report.objects.get(pk=submission.report.pk)
    assert not oral.may_give_receipt(cast.staff, late)
    with pytest.raises(oral.ReceiptNotSent):
        send(late, submission.receipt, "email", "a@b.org", by=cast.staff)
    assert not Entry.objects.filter(action="receipt.sent").exists()


# Replies in full, only on request


def _team_writes(cast, report, text="REPLYCANARY are you safe now?"):
    case = factories.declared(report.case, cast.lead)
    lead = factories.holding_key(cast.lead)
    OutboxMessage.objects.all().delete()
    work.message_reporter(case, text, by=lead, report=report)
    return list(OutboxMessage.objects.filter(kind__in=["to_reporter", "reporter_message"]))


def test_by_default_an_email_reporter_gets_only_a_content_free_notice(cast):
    submission = factories.file_report(cast.event, contact="Mo <mo@example.org>")
    (row,) = _team_writes(cast, submission.report)
    assert row.kind == OutboxMessage.Kind.REPORTER_MESSAGE
    assert "REPLYCANARY" not in str(row.context)


def test_asked_for_in_full_the_reply_is_sealed_and_threads_to_the_reporting_address(cast, mailbox):
    token = receipts.new_receipt()
    submission = factories.file_report(
        cast.event,
        contact="mo@example.org",
        channel=Channel.MAIL,
        thread_token=token,
        contact_digest=inbound.contact_digest("mail", "mo@example.org"),
    )
    assert reporter.view(submission.receipt).replies_offered == ["email"]
    reporter.choose_replies(submission.receipt, "email")
    assert Report.objects.get().replies_to == "email"
    assert Entry.objects.filter(action="report.replies_chosen").count() == 1
    (row,) = _team_writes(cast, Report.objects.get())
    assert row.kind == OutboxMessage.Kind.TO_REPORTER
    assert _clear_in(row, "REPLYCANARY", "mo@example.org", token) == []
    sealed = envelope.opened(row)
    assert sealed["to"] == "mo@example.org"
    assert "REPLYCANARY are you safe now?" in sealed["body"]
    assert sealed["headers"]["Reply-To"] == f"report+{token}@conf.example"
    assert sealed["headers"]["From"] == "Conf <report@conf.example>"
    assert sealed["headers"][replies.LOOP_HEADER] == "conf"
    # And off again: a notice only.
    reporter.choose_replies(submission.receipt, "")
    assert Entry.objects.filter(action="report.replies_stopped").count() == 1
    (row,) = _team_writes(cast, Report.objects.get())
    assert row.kind == OutboxMessage.Kind.REPORTER_MESSAGE


def test_a_text_reporter_gets_a_content_free_text_or_the_reply_in_full_sealed(cast, texts):
    received = inbound.receive(
        inbound.Arrival(texts, "SM1", "+49 151 7654321", "someone followed me"),
        channel_value=Channel.SMS,
    )
    (row,) = _team_writes(cast, received.report)
    assert row.kind == OutboxMessage.Kind.TO_REPORTER
    assert row.context == {"via": "sms", "intake_channel": texts.pk}
    assert _clear_in(row, "+491517654321", "REPLYCANARY") == []
    sealed = envelope.opened(row)
    assert sealed["to"] == "+491517654321"
    assert "REPLYCANARY" not in sealed["body"]
    assert "/receipt/" in sealed["body"]
    assert reporter.view(received.receipt).replies_offered == ["sms"]
    reporter.choose_replies(received.receipt, "sms")
    (row,) = _team_writes(cast, Report.objects.get())
    assert "REPLYCANARY are you safe now?" in envelope.opened(row)["body"]
    assert _clear_in(row, "REPLYCANARY") == []


def test_replies_cannot_go_where_the_report_gives_no_way(cast):
    web = factories.file_report(cast.event, contact="call me on +49 151 000 111")
    assert reporter.view(web.receipt).replies_offered == []
    for via in ("email", "sms", "pigeon"):
        with pytest.raises(reporter.RepliesNotOffered):
            reporter.choose_replies(web.receipt, via)
    assert Report.objects.get().replies_to == ""


def test_an_event_name_with_a_comma_still_gives_mail_a_valid_sender(cast):
    from ombud.cases.services import replies  # noqa: PLC0415
    from ombud.intake.models import IntakeChannel  # noqa: PLC0415
    from ombud.notify import envelope  # noqa: PLC0415
    from ombud.notify import services as notify_services  # noqa: PLC0415
    from ombud.vault import services as vault  # noqa: PLC0415

    cast.event.name = "PyCon US, 2026; Pittsburgh"
    cast.event.save(update_fields=["name"])
    IntakeChannel.objects.create(
        event=cast.event, kind="mail", provider="listener", address="report@conf.example"
    )
    submission = factories.file_report(cast.event, contact="mo@example.org")
    report = submission.report
    opened = vault.open_keyring(
        report.case_id, vault.ReceiptRecipient(submission.receipt, report.pk)
    )
    row = envelope.to_reporter(
        envelope.EMAIL,
        "mo@example.org",
        "text",
        subject="subject",
        headers=replies.mail_headers(report, opened),
    )
    message = notify_services.render_email(row).message()
    assert "report@conf.example" in message["From"]
    assert "PyCon US" in str(message["From"])
