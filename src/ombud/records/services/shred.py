"""Crypto-shredding one case: every wrap of its key, its inbox keys and every sealed
byte go; what is left is the metadata record - event, dates (received, closed,
expunged), channel, categories, outcome - and the rule that expunged it.

Runs inside the caller's transaction (``purge``, ``withdrawal``): a case is whole or
expunged, never half. Rows that carry metadata are kept with their content emptied;
rows that are nothing but content, or say who (staff named, people reported, who
wrote what), are deleted. With SQLite's ``secure_delete`` the freed bytes are
overwritten with zeros (see docs/security.md, "Retention").
"""

from django.conf import settings
from django.db.models import F, Q

from ombud.cases.models import (
    Account,
    Attachment,
    Case,
    CaseLink,
    Declaration,
    Escalation,
    InterimAction,
    Message,
    Note,
    Recusal,
    Report,
    Respondent,
    SafetyStep,
    TimelineEntry,
)
from ombud.decisions.models import (
    Appeal,
    Approval,
    BanEntry,
    BanIdentifier,
    Decision,
    ReporterComment,
)
from ombud.intake.models import BrowserResend, InboundMessage
from ombud.notify.models import OutboxMessage
from ombud.records.models import RetentionExtension
from ombud.vault.models import KeyWrap

# Timeline entries that are dates of the metadata record, and what of their detail stays.
_KEPT_TIMELINE = {
    TimelineEntry.Kind.REPORT_RECEIVED: ("channel",),
    TimelineEntry.Kind.STATUS_CHANGED: ("from", "to"),
}
# What an expunged case is called instead of its code name (unique within its event).
PLACEHOLDER = "expunged-{pk}"


def in_force(entry, today) -> bool:
    """A ban-list entry that still matches at the desk (``banlist.active_entries``)."""
    return entry.lifted_at is None and (entry.expires_on is None or entry.expires_on >= today)


def shred(case: Case, *, rule: str, now, keep_receipt: bool = False, today=None) -> None:
    """Destroy the case's keys and content. ``keep_receipt``: a withdrawn report's
    receipt still finds it (to say "withdrawn"), and a ban in force stays on the list;
    both go when its retention passes (``purge.finish_withdrawn``)."""
    reports = Report.objects.filter(case=case)
    KeyWrap.objects.filter(keyring=case.pk).delete()
    Attachment.objects.filter(case=case).delete()
    Message.objects.filter(case=case).delete()
    Note.objects.filter(case=case).delete()
    for model in (Account, Respondent, SafetyStep, InterimAction, Declaration, Recusal):
        model.objects.filter(case=case).delete()
    Escalation.objects.filter(case=case).delete()
    CaseLink.objects.filter(Q(case=case) | Q(other=case)).delete()
    RetentionExtension.objects.filter(case=case).delete()
    _shred_decisions(case, keep_bans=keep_receipt, today=today)
    BrowserResend.objects.filter(report__in=reports).delete()
    InboundMessage.objects.filter(report__in=reports).delete()
    OutboxMessage.objects.filter(subject_id=case.pk).delete()
    _shred_timeline(case)
    _shred_reports(reports, keep_receipt=keep_receipt)
    case.helpers.clear()
    Case.objects.filter(pk=case.pk).update(
        code_name=PLACEHOLDER.format(pk=case.pk),
        owner=None,
        urgent=False,
        reminded_for=None,
        inbox_public_key=None,
        sealed_inbox_key=None,
        expunged_at=now,
        expunge_rule=rule,
        version=F("version") + 1,
        updated_at=now,
    )
    case.refresh_from_db()


def _shred_decisions(case, *, keep_bans: bool, today) -> None:
    decisions = Decision.objects.filter(case=case)
    ReporterComment.objects.filter(decision__in=decisions).delete()
    Approval.objects.filter(decision__in=decisions).delete()
    unfinished = decisions.exclude(state=Decision.State.FINAL)
    Appeal.objects.filter(decision__in=unfinished).delete()
    unfinished.delete()
    # The final decision stays as metadata: its consequence, ban dates and states.
    decisions.update(sealed=b"")
    Appeal.objects.filter(decision__case=case).update(sealed=b"", sealed_review=None)
    entries = BanEntry.objects.filter(decision__case=case)
    if keep_bans:
        entries = [entry for entry in entries if not in_force(entry, today)]
    BanIdentifier.objects.filter(entry__in=entries).delete()


def _shred_timeline(case) -> None:
    TimelineEntry.objects.filter(case=case).exclude(kind__in=list(_KEPT_TIMELINE)).delete()
    for entry in TimelineEntry.objects.filter(case=case):
        kept = {k: v for k, v in entry.detail.items() if k in _KEPT_TIMELINE[entry.kind]}
        TimelineEntry.objects.filter(pk=entry.pk).update(actor=None, detail=kept)


def _shred_reports(reports, *, keep_receipt: bool) -> None:
    for report in reports:
        Report.objects.filter(pk=report.pk).update(
            sealed=b"",
            resend_box=None,
            submission_digest=None,
            contact_digest="",
            thread_digest=None,
            taken_by=None,
            reachable=False,
            replies_to="",
            reporter_relation="",
            law_enforcement="",
            danger_now=False,
            still_going_on=None,
            taken_orally=False,
            confirmation="",
            confirmed_at=None,
            language=settings.LANGUAGE_CODE,
            # A keyed hash of the receipt is how a receipt finds the report: gone, the
            # receipt opens nothing (a withdrawn report keeps it to say "withdrawn").
            **({} if keep_receipt else {"receipt_digest": f"expunged:{report.pk}"}),
        )


def forget_receipts(case) -> None:
    """A withdrawn case past its retention: its receipt finds nothing any more."""
    for pk in Report.objects.filter(case=case).values_list("pk", flat=True):
        Report.objects.filter(pk=pk).update(receipt_digest=f"expunged:{pk}")


def forget_ban_identifiers(case) -> int:
    deleted, _rows = BanIdentifier.objects.filter(entry__decision__case=case).delete()
    return deleted
