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
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat

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
    RespondentTag,
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

# What an expunged case is called instead of its code name, and what its reports'
# receipt digests become: unique (the case's or report's own id), naming nobody.
PLACEHOLDER = "expunged-"
FORGOTTEN_RECEIPT = "expunged:"


def _ids_of(prefix: str):
    return Concat(Value(prefix), Cast("id", output_field=CharField()))


def in_force(entry, today) -> bool:
    """A ban-list entry that still matches at the desk (``banlist.active_entries``)."""
    return entry.lifted_at is None and (entry.expires_on is None or entry.expires_on >= today)


def shred(case: Case, *, rule: str, now, keep_receipt: bool = False, today=None) -> None:
    """One case (``shred_cases``)."""
    shred_cases({case.pk: rule}, now=now, keep_receipt=keep_receipt, today=today)
    case.refresh_from_db()


def shred_cases(rules: dict, *, now, keep_receipt: bool = False, today=None) -> None:
    """Destroy the keys and content of the cases ``rules`` names (case id -> the rule
    that expunges it), set-based: a few dozen statements however many cases.
    ``keep_receipt``: a withdrawn report's receipt still finds it (to say
    "withdrawn"), and a ban in force stays on the list; both go when its retention
    passes (``purge.finish_withdrawn``)."""
    ids = list(rules)
    if not ids:
        return
    reports = Report.objects.filter(case_id__in=ids)
    KeyWrap.objects.filter(keyring__in=ids).delete()
    Attachment.objects.filter(case_id__in=ids).delete()
    Message.objects.filter(case_id__in=ids).delete()
    Note.objects.filter(case_id__in=ids).delete()
    RespondentTag.objects.filter(respondent__case_id__in=ids).delete()
    for model in (Account, Respondent, SafetyStep, InterimAction, Declaration, Recusal):
        model.objects.filter(case_id__in=ids).delete()
    Escalation.objects.filter(case_id__in=ids).delete()
    CaseLink.objects.filter(Q(case_id__in=ids) | Q(other_id__in=ids)).delete()
    RetentionExtension.objects.filter(case_id__in=ids).delete()
    _shred_decisions(ids, keep_bans=keep_receipt, today=today)
    BrowserResend.objects.filter(report__in=reports).delete()
    InboundMessage.objects.filter(report__in=reports).delete()
    OutboxMessage.objects.filter(subject_id__in=ids).delete()
    _shred_timeline(ids)
    _shred_reports(reports, keep_receipt=keep_receipt)
    Case.helpers.through.objects.filter(case_id__in=ids).delete()
    Case.objects.filter(pk__in=ids).update(
        code_name=_ids_of(PLACEHOLDER),
        owner=None,
        urgent=False,
        reminded_for=None,
        inbox_public_key=None,
        sealed_inbox_key=None,
        expunged_at=now,
        version=F("version") + 1,
        updated_at=now,
    )
    for rule in set(rules.values()):
        Case.objects.filter(pk__in=[pk for pk in ids if rules[pk] == rule]).update(
            expunge_rule=rule
        )


def _shred_decisions(ids, *, keep_bans: bool, today) -> None:
    decisions = Decision.objects.filter(case_id__in=ids)
    ReporterComment.objects.filter(decision__in=decisions).delete()
    Approval.objects.filter(decision__in=decisions).delete()
    unfinished = decisions.exclude(state=Decision.State.FINAL)
    Appeal.objects.filter(decision__in=unfinished).delete()
    unfinished.delete()
    # The final decision stays as metadata: its consequence, ban dates and states.
    decisions.update(sealed=b"")
    Appeal.objects.filter(decision__case_id__in=ids).update(sealed=b"", sealed_review=None)
    entries = BanEntry.objects.filter(decision__case_id__in=ids)
    if keep_bans:
        entries = [entry for entry in entries if not in_force(entry, today)]
    BanIdentifier.objects.filter(entry__in=entries).delete()


def _shred_timeline(ids) -> None:
    """Only the dates stay: when the report came in (by which channel) and when the
    status changed (from, to); nobody's name on them."""
    received, changed = TimelineEntry.Kind.REPORT_RECEIVED, TimelineEntry.Kind.STATUS_CHANGED
    entries = TimelineEntry.objects.filter(case_id__in=ids)
    entries.exclude(kind__in=[received, changed]).delete()
    entries.update(actor=None)  # a status change's detail is only "from" and "to"
    channels = Report.objects.filter(case_id__in=ids).values_list("channel", flat=True)
    for channel in set(channels):
        entries.filter(kind=received, case__reports__channel=channel).update(
            detail={"channel": channel}
        )


def _shred_reports(reports, *, keep_receipt: bool) -> None:
    reports.update(
        sealed=b"",
        resend_box=None,
        submission_digest=None,
        contact_digest="",
        thread_digest=None,
        fingerprint="",
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
        **({} if keep_receipt else {"receipt_digest": _ids_of(FORGOTTEN_RECEIPT)}),
    )


def forget_receipts(case) -> None:
    """A withdrawn case past its retention: its receipt finds nothing any more."""
    Report.objects.filter(case=case).update(receipt_digest=_ids_of(FORGOTTEN_RECEIPT))


def forget_ban_identifiers(case) -> int:
    deleted, _rows = BanIdentifier.objects.filter(entry__decision__case=case).delete()
    return deleted
