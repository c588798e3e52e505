"""Submitting a report: one transaction holds the case, the sealed report, its key
wraps, the recusals, the audit entry and the alerts, so a receipt shown means
all of it is committed."""

import hashlib
import json
import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases.codenames import new_code_name
from ombud.cases.models import Case, Channel, Report, Status, TimelineEntry
from ombud.cases.services import alerts, recusal
from ombud.vault import receipts
from ombud.vault import services as vault
from ombud.vault.errors import VaultError

FIELD_LIMITS = {
    "what_happened": 20_000,
    "who": 1_000,
    "who_description": 2_000,
    "when": 500,
    "where": 1_000,
    "circumstances": 10_000,
    "others_involved": 2_000,
    "evidence_links": 4_000,
    "safety_concerns": 4_000,
    "contact": 500,
    "exclude_others": 1_000,
}
assert set(FIELD_LIMITS) == set(Report.SEALED_FIELDS)
MAX_EXCLUDED_STAFF = 50


@dataclass
class ReportInput:
    """A validated report: sealed content plus the choices kept in the clear."""

    content: dict
    danger_now: bool = False
    still_going_on: bool | None = None
    reporter_relation: str = ""
    law_enforcement: str = ""
    exclude_staff: list = field(default_factory=list)
    channel: str = Channel.WEB
    taken_by: object = None


@dataclass
class Submission:
    report: Report
    receipt: str
    repeated: bool = False


def _content_fingerprint(data: ReportInput) -> str:
    canonical = json.dumps(
        [
            data.content,
            data.danger_now,
            data.still_going_on,
            data.reporter_relation,
            data.law_enforcement,
            sorted(data.exclude_staff),
        ],
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit_report(event, data: ReportInput, *, submission_key: str = "") -> Submission:
    """File a report. Sent twice with the same key and content, it is filed once."""
    submission_digest = None
    if submission_key:
        submission_digest = receipts.keyed_digest(
            "submission", f"{event.pk}:{submission_key}:{_content_fingerprint(data)}"
        )
        repeated = _repeat_of(submission_digest, submission_key)
        if repeated:
            return repeated
    for attempt in range(4):
        try:
            return _file(event, data, submission_digest, submission_key, long_name=attempt >= 2)
        except IntegrityError:
            # Either the same form arrived twice at once, or a code name clashed.
            repeated = submission_digest and _repeat_of(submission_digest, submission_key)
            if repeated:
                return repeated
            if attempt == 3:
                raise
    raise AssertionError("unreachable")


def _repeat_of(submission_digest: str, submission_key: str) -> Submission | None:
    report = Report.objects.filter(submission_digest=submission_digest).first()
    if report is None or report.resend_box is None:
        return None
    try:
        receipt = receipts.open_resend(submission_key, report.pk, report.resend_box)
    except VaultError:
        return None
    return Submission(report, receipt, repeated=True)


def _file(event, data: ReportInput, submission_digest, submission_key, *, long_name) -> Submission:
    now = timezone.now()
    receipt = receipts.new_receipt()
    case = Case(
        event=event,
        code_name=new_code_name(extra_word=long_name),
        status=Status.NEW,
        urgent=data.danger_now,
        created_at=now,
        updated_at=now,
    )
    report = Report(
        id=uuid.uuid4(),
        case=case,
        event=event,
        channel=data.channel,
        received_at=now,
        taken_by=data.taken_by,
        danger_now=data.danger_now,
        still_going_on=data.still_going_on,
        reporter_relation=data.reporter_relation,
        law_enforcement=data.law_enforcement,
        reachable=bool(data.content.get("contact", "").strip()),
        receipt_digest=receipts.digest(receipt),
        submission_digest=submission_digest,
    )
    if submission_key:
        report.resend_box = receipts.seal_for_resend(submission_key, report.id, receipt)
    actor = Actor.user(data.taken_by) if data.taken_by else Actor.reporter()
    with transaction.atomic():
        reasons = recusal.reasons_for(event, data.content, data.exclude_staff)
        case.save(force_insert=True)
        case_key = vault.create_keyring(
            case.pk,
            [vault.ServerRecipient.active(), vault.ReceiptRecipient(receipt, report.id)],
        )
        report.sealed = case_key.seal("report", report.pk, data.content)
        report.save(force_insert=True)
        recusal.recuse(case, case_key, reasons)
        alerted = alerts.alert_new_case(case, set(reasons))
        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    case=case,
                    at=now,
                    kind=TimelineEntry.Kind.REPORT_RECEIVED,
                    actor=data.taken_by,
                    by_reporter=data.taken_by is None,
                    detail={"channel": data.channel, "urgent": data.danger_now},
                ),
                TimelineEntry(
                    case=case,
                    at=now,
                    kind=TimelineEntry.Kind.ALERT_QUEUED,
                    detail={"count": alerted},
                ),
            ]
        )
        audit.record(actor, "report.created", report, event_id=event.pk)
    return Submission(report, receipt)
