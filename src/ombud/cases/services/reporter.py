"""The reporter's side: everything reached through a receipt, nothing else.

A receipt opens the case key through its own wrap, so the reporter's view
does not depend on the server key; it shows their own report, the case's
status history and the messages addressed to them, never internal notes.
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases.models import Attachment, Case, Message, Report, TimelineEntry
from ombud.cases.services import alerts, attachments, recusal, timeline
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


@dataclass(frozen=True)
class ReporterView:
    report: Report
    case: Case
    content: dict
    thread: list
    status_history: list
    files: list = ()  # name, type and size of the files given with the report


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
    thread = [
        ThreadItem(
            m.created_at,
            m.direction == Message.Direction.FROM_REPORTER,
            recusal.message_content(m, case_key)["text"],
        )
        for m in report.messages.all()
    ]
    history = [
        (entry.at, entry.detail.get("to"))
        for entry in report.case.timeline.filter(kind=TimelineEntry.Kind.STATUS_CHANGED)
    ]
    files = attachments.described(report.attachments.all(), case_key)
    with transaction.atomic():
        audit.record(Actor.reporter(), "report.read_by_reporter", report, event_id=report.event_id)
    return ReporterView(report, report.case, content, thread, history, files)


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
    case_key = _case_key(report, receipt)
    case = report.case
    now = timezone.now()
    message = Message(
        case=case, report=report, direction=Message.Direction.FROM_REPORTER, created_at=now
    )
    message.sealed = case_key.seal("message", message.pk, {"text": text})
    given = attachments.sealed(case_key, case, files, at=now, report=report)
    with transaction.atomic():
        message.save(force_insert=True)
        Attachment.objects.bulk_create(given)
        if connection.vendor == "postgresql":
            # As at intake: a roster change waits for this, and its rescan sees it.
            Event.objects.select_for_update(no_key=True).filter(pk=case.event_id).exists()
        reasons = recusal.reasons_for(case.event, recusal.addition_as_naming(text))
        recusal.recuse(case, case_key, reasons)
        recused = recusal.recused_among(case, roster.load(case.event).members)
        Case.objects.filter(pk=case.pk).update(updated_at=now)
        timeline.add(case, TimelineEntry.Kind.MESSAGE_FROM_REPORTER, by_reporter=True, at=now)
        alerts.alert_reporter_added(case, recused)
        audit.record(Actor.reporter(), "message.created", message, event_id=case.event_id)
    return message


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
