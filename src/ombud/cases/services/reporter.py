"""The reporter's side: everything reached through a receipt, nothing else.

A receipt opens the case key through its own wrap, so the reporter's view
does not depend on the server key; it shows their own report, the case's
status history and the messages addressed to them, never internal notes.
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases.models import Attachment, Case, Confirmation, Message, Report, TimelineEntry
from ombud.cases.services import alerts, attachments, recusal, replies, timeline, triage
from ombud.events.models import Event
from ombud.staff import roster
from ombud.vault import receipts
from ombud.vault import services as vault
from ombud.vault.models import KeyWrap

MESSAGE_LIMIT = 20_000


class UnknownReceipt(Exception):
    """No report answers to this receipt (or it is not a receipt at all)."""


@dataclass(frozen=True)
class ThreadItem:
    at: object
    from_reporter: bool
    text: str
    correction: bool = False  # the reporter's correction of the written account


@dataclass(frozen=True)
class ReporterView:
    report: Report
    case: Case
    content: dict
    thread: list
    status_history: list
    files: list = ()  # name, type and size of the files given with the report
    replies_offered: list = ()  # where the team's replies may go in full (replies.offered)


def _find(receipt_text: str) -> tuple[Report, str]:
    receipt = receipts.normalise(receipt_text)
    if receipt is None:
        raise UnknownReceipt
    digest = receipts.digest(receipt)
    report = Report.objects.select_related("case", "event").filter(receipt_digest=digest).first()
    if report is None or not receipts.matches(report.receipt_digest, receipt):
        raise UnknownReceipt
    return report, receipt


def _case_key(report, receipt):
    return vault.open_keyring(report.case_id, vault.ReceiptRecipient(receipt, report.pk))


def view(receipt_text: str) -> ReporterView:
    report, receipt = _find(receipt_text)
    case_key = _case_key(report, receipt)
    content = recusal.report_fields(report, case_key)
    said = [(m, recusal.message_content(m, case_key)) for m in report.messages.all()]
    thread = [
        ThreadItem(
            m.created_at,
            m.direction == Message.Direction.FROM_REPORTER,
            opened["text"],
            bool(opened.get("correction")),
        )
        for m, opened in said
    ]
    history = [
        (entry.at, entry.detail.get("to"))
        for entry in report.case.timeline.filter(kind=TimelineEntry.Kind.STATUS_CHANGED)
    ]
    files = attachments.described(report.attachments.all(), case_key)
    with transaction.atomic():
        audit.record(Actor.reporter(), "report.read_by_reporter", report, event_id=report.event_id)
    offered = replies.offered(report, case_key)
    return ReporterView(report, report.case, content, thread, history, files, offered)


def open_file(receipt_text: str, attachment_id) -> attachments.CheckedFile:
    """A file the reporter gave with their report (never one from a staff note)."""
    report, receipt = _find(receipt_text)
    attachment = report.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Attachment.DoesNotExist
    opened = attachments.opened(attachment, _case_key(report, receipt))
    with transaction.atomic():
        audit.record(Actor.reporter(), "attachment.read", attachment, event_id=report.event_id)
    return opened


def add_information(receipt_text: str, text: str, files=()) -> Message:
    """The reporter adds to their report; named staff are recused before anyone is alerted."""
    text = text.strip()
    if not text:
        raise ValueError("empty message")
    report, receipt = _find(receipt_text)
    addition = _sealed_addition(report, _case_key(report, receipt), text, files)
    with transaction.atomic():
        return add_sealed(report, addition, text)


def _sealed_addition(report, case_key, text: str, files=(), **sealed_with):
    """A reporter's addition, sealed before any write: (message, attachments, key)."""
    message = Message(
        case=report.case,
        report=report,
        direction=Message.Direction.FROM_REPORTER,
        created_at=timezone.now(),
    )
    message.sealed = case_key.seal("message", message.pk, {"text": text, **sealed_with})
    given = attachments.sealed(case_key, report.case, files, at=message.created_at, report=report)
    return message, given, case_key


def add_sealed(report, addition, text: str, *, exclude_staff=(), urgent=False) -> Message:
    """Write a sealed addition in the caller's transaction: named (or excluded) staff
    recused before anyone is alerted, the team told - at once and as urgent for an urgent
    addition (a voicemail). ``addition`` is (message, attachments, case key); without the
    case key (a channel's addition, sealed to the case's inbox: ``vault.inbox``) the
    recusals are sealed to the inbox too."""
    message, given, case_key = addition
    case, now = report.case, message.created_at
    message.save(force_insert=True)
    Attachment.objects.bulk_create(given)
    if connection.vendor == "postgresql":
        # As at intake: a roster change waits for this, and its rescan sees it.
        Event.objects.select_for_update(no_key=True).filter(pk=case.event_id).exists()
    people = roster.load(case.event).members
    reasons = recusal.reasons_among(people, recusal.addition_as_naming(text), exclude_staff)
    recusal.recuse(case, case_key, reasons, now=now)
    recused = recusal.recused_among(case, people)
    # A report marked as junk in a flood by mistake: its reporter writing again puts it back.
    Case.objects.filter(pk=case.pk).update(updated_at=now, junk_at=None)
    if case.junk_at is not None:
        case.junk_at = None
        triage.put_back(case, now)
        timeline.add(case, TimelineEntry.Kind.NOT_JUNK, by_reporter=True, at=now)
    timeline.add(case, TimelineEntry.Kind.MESSAGE_FROM_REPORTER, by_reporter=True, at=now)
    if urgent and not case.urgent:
        alerts.alert_made_urgent(case, people, recused, at=now)
    else:
        alerts.alert_reporter_added(case, recused)
    audit.record(Actor.reporter(), "message.created", message, event_id=case.event_id)
    return message


class NothingToConfirm(Exception):
    """The report was not written down from what the reporter said, or they already
    confirmed it: there is nothing (more) to confirm."""

    message = gettext_lazy("There is nothing to confirm: you already answered.")

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message


def _oral(receipt_text: str) -> tuple[Report, str]:
    report, receipt = _find(receipt_text)
    if not report.taken_orally:
        raise NothingToConfirm(
            gettext_lazy("There is nothing to confirm: you wrote this report yourself.")
        )
    return report, receipt


def confirm_account(receipt_text: str) -> Report:
    """The reporter read what a staff member wrote down from what they said: it is right."""
    report, _receipt = _oral(receipt_text)
    now = timezone.now()
    with transaction.atomic():
        # Once: a confirmation does not undo a correction, nor repeat itself.
        done = Report.objects.filter(pk=report.pk, confirmation="").update(
            confirmation=Confirmation.CONFIRMED, confirmed_at=now
        )
        if not done:
            raise NothingToConfirm
        timeline.add(
            report.case, TimelineEntry.Kind.CONFIRMATION, by_reporter=True, at=now, corrected=False
        )
        audit.record(
            Actor.reporter(), "report.confirmed_by_reporter", report, event_id=report.event_id
        )
    report.confirmation, report.confirmed_at = Confirmation.CONFIRMED, now
    return report


def correct_account(receipt_text: str, text: str) -> Message:
    """The reporter corrects the written account: the correction joins the case like
    added information (sealed, read for recusal, the team alerted). Several may follow."""
    text = text.strip()
    if not text:
        raise ValueError("empty correction")
    report, receipt = _oral(receipt_text)
    addition = _sealed_addition(report, _case_key(report, receipt), text, correction=True)
    with transaction.atomic():
        message = add_sealed(report, addition, text)
        now = message.created_at
        Report.objects.filter(pk=report.pk).update(
            confirmation=Confirmation.CORRECTED, confirmed_at=now
        )
        timeline.add(
            report.case, TimelineEntry.Kind.CONFIRMATION, by_reporter=True, at=now, corrected=True
        )
        audit.record(
            Actor.reporter(), "report.corrected_by_reporter", report, event_id=report.event_id
        )
    return message


class RepliesNotOffered(Exception):
    """The team's replies cannot go where the reporter asked: no such contact."""

    message = gettext_lazy("The team's replies cannot be sent there.")


def replies_offered(receipt_text: str) -> list[str]:
    report, receipt = _find(receipt_text)
    return replies.offered(report, _case_key(report, receipt))


def choose_replies(receipt_text: str, via: str) -> Report:
    """The reporter's explicit choice to get the team's replies in full by e-mail or by
    text (``via``), or only behind the receipt again (``via`` empty)."""
    report, receipt = _find(receipt_text)
    if via and via not in replies.offered(report, _case_key(report, receipt)):
        raise RepliesNotOffered
    if via == report.replies_to:
        return report  # already so: nothing changes, nothing to record
    with transaction.atomic():
        Report.objects.filter(pk=report.pk).update(replies_to=via)
        audit.record(
            Actor.reporter(),
            "report.replies_chosen" if via else "report.replies_stopped",
            report,
            event_id=report.event_id,
        )
    report.replies_to = via
    return report


def replace_receipt(receipt_text: str) -> str:
    """A new receipt for the same report; the old one stops working at once.

    For a reporter whose receipt someone else saw, above all the staff member
    who took their report down. The case key is wrapped for the new receipt and
    the old wrap deleted; the resend boxes, which hold the old receipt, go too
    (the submission key's and the browser's, ``intake.models.BrowserResend``).
    """
    report, receipt = _find(receipt_text)
    case_key = _case_key(report, receipt)
    new = receipts.new_receipt()
    old = vault.ReceiptRecipient(receipt, report.pk)
    wraps = vault.wraps_for(case_key, [vault.ReceiptRecipient(new, report.pk)])
    with transaction.atomic():
        swapped = Report.objects.filter(pk=report.pk, receipt_digest=report.receipt_digest).update(
            receipt_digest=receipts.digest(new), resend_box=None, submission_digest=None
        )
        if not swapped:
            raise UnknownReceipt  # replaced a moment ago, by another request with it
        report.browser_resends.all().delete()
        KeyWrap.objects.filter(
            keyring=report.case_id, recipient_kind=old.kind, recipient_ref=old.ref
        ).delete()
        KeyWrap.objects.bulk_create(wraps)
        audit.record(Actor.reporter(), "receipt.replaced", report, event_id=report.event_id)
    return new
