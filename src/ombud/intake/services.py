"""Submitting a report: one transaction holds the case, the sealed report, its key
wraps, the recusals, the audit entry and the alerts, so a receipt shown means
all of it is committed."""

import functools
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases import fingerprint
from ombud.cases.codenames import new_code_name
from ombud.cases.models import (
    ORAL_CHANNELS,
    Case,
    Channel,
    Report,
    Status,
    TimelineEntry,
)
from ombud.cases.services import alerts, attachments, escalation, keytrust, recusal
from ombud.db import rows
from ombud.events.models import Event, VaultMode
from ombud.intake.models import BrowserResend
from ombud.notify import wakeup
from ombud.staff import roster
from ombud.staff.models import CASE_ROLES
from ombud.vault import inbox, receipts
from ombud.vault import services as vault
from ombud.vault.errors import Tampered

log = logging.getLogger(__name__)

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
# How long a resent form (a lost reply on bad Wi-Fi) gets its first receipt back.
RESEND_WINDOW = timedelta(hours=24)
# A staff member saw the receipt they took down: it is handed back to them only
# long enough to survive a lost reply, never later (docs/security.md §2).
STAFF_RESEND_WINDOW = timedelta(minutes=15)
# The same report sent again from the same browser with a fresh key (Back after
# sending, then Send again: pages are no-store, so Back brings a new form).
BROWSER_RESEND_WINDOW = timedelta(minutes=10)
_BROWSER = "browser-resend"
# Submission (Idempotency) keys: at least 128 bits' worth of characters, because
# together with the content they are all that opens a resend box.
SUBMISSION_KEY_MIN, SUBMISSION_KEY_MAX = 22, 128


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
    language: str = ""  # the reporter's; by default the language the page spoke
    attachments: list = field(default_factory=list)  # of attachments.CheckedFile
    # Channel reports (intake.channels): who sent it, as a keyed hash, and the keyed
    # hash of the token that threads replies to Ombud's mail.
    contact_digest: str = ""
    thread_token: str = ""
    taken_orally: bool = False


def _language(event, data: ReportInput) -> str:
    """The report's language: staff answer in it and notices to the reporter use it."""
    for code in (data.language, translation.get_language()):
        if code in event.offered_languages() or (code and code == data.language):
            return code
    return event.default_language


def valid_submission_key(key: str) -> bool:
    return (
        SUBMISSION_KEY_MIN <= len(key) <= SUBMISSION_KEY_MAX and key.isascii() and key.isprintable()
    )


def resend_window(report) -> timedelta:
    return STAFF_RESEND_WINDOW if report.taken_by_id else RESEND_WINDOW


@dataclass(frozen=True)
class _Resend:
    """What a resend must repeat to get the first receipt back: its key and its content."""

    key: str
    fingerprint: str
    digest: str


@dataclass(frozen=True)
class _BrowserResend:
    """What a resend from the same browser must repeat: its cookie, its words and,
    when it carries files, the same files."""

    secret: str
    fingerprint: str
    digest: str
    files: str


@dataclass
class Submission:
    report: Report
    receipt: str
    repeated: bool = False
    # How many people were alerted; None for a resend (they were, the first time).
    alerted: int | None = None


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


def _files_digest(data: ReportInput) -> str:
    hashes = sorted(hashlib.sha256(f.data).hexdigest() for f in data.attachments)
    return receipts.keyed_digest("resend-files", ",".join(hashes))


def submit_report(
    event, data: ReportInput, *, submission_key: str = "", browser: str = "", within=None
) -> Submission:
    """File a report. Sent twice with the same key and content, it is filed once; sent
    again from the same browser (``browser``: its own random secret) with the same
    content within ``BROWSER_RESEND_WINDOW``, too. ``within(report, receipt)`` runs
    inside the filing transaction (a channel records its delivery there)."""
    resend = by_browser = None
    if submission_key:
        if not valid_submission_key(submission_key):
            raise ValueError(
                f"submission keys are {SUBMISSION_KEY_MIN} to {SUBMISSION_KEY_MAX} "
                "printable ASCII characters"
            )
        fingerprint = _content_fingerprint(data)
        digest = receipts.keyed_digest("submission", f"{event.pk}:{submission_key}:{fingerprint}")
        resend = _Resend(submission_key, fingerprint, digest)
        repeated = _repeat_of(resend)
        if repeated:
            return repeated
    if browser and valid_submission_key(browser):
        fingerprint = _content_fingerprint(data)
        digest = receipts.keyed_digest(_BROWSER, f"{event.pk}:{browser}:{fingerprint}")
        by_browser = _BrowserResend(browser, fingerprint, digest, _files_digest(data))
        repeated = _browser_repeat(by_browser, data)
        if repeated:
            return repeated
    for attempt in range(4):
        try:
            return _file(event, data, resend, by_browser, long_name=attempt >= 2, within=within)
        except IntegrityError:
            # Either the same form arrived twice at once, or a code name clashed.
            repeated = resend and _repeat_of(resend)
            if repeated:
                return repeated
            if attempt == 3:
                raise
    raise AssertionError("unreachable")


def _repeat_of(resend: _Resend) -> Submission | None:
    report = Report.objects.filter(submission_digest=resend.digest).first()
    if report is None:
        return None
    fresh = report.received_at >= timezone.now() - resend_window(report)
    receipt = _opened(resend, report) if fresh and report.resend_box is not None else None
    if receipt is None:
        # Too old (or unopenable) to hand back: forget it, so the resend is filed as a new report.
        with transaction.atomic():
            Report.objects.filter(pk=report.pk).update(resend_box=None, submission_digest=None)
        return None
    with transaction.atomic():
        audit.record(Actor.reporter(), "receipt.reissued", report, event_id=report.event_id)
    return Submission(report, receipt, repeated=True)


def _browser_repeat(resend: _BrowserResend, data: ReportInput) -> Submission | None:
    since = timezone.now() - BROWSER_RESEND_WINDOW
    rows = BrowserResend.objects.filter(digest=resend.digest, sent_at__gte=since)
    for row in rows.select_related("report").order_by("-sent_at"):
        if data.attachments and row.files_digest != resend.files:
            continue  # other files: a new report, so that none is lost
        try:
            receipt = receipts.open_resend(
                resend.secret, resend.fingerprint, row.report_id, bytes(row.box), purpose=_BROWSER
            )
        except Tampered:
            continue
        report = row.report
        with transaction.atomic():
            audit.record(Actor.reporter(), "receipt.reissued", report, event_id=report.event_id)
        return Submission(report, receipt, repeated=True)
    return None


def _opened(resend: _Resend, report) -> str | None:
    try:
        return receipts.open_resend(resend.key, resend.fingerprint, report.pk, report.resend_box)
    except Tampered:
        return None  # sealed by an earlier version of the box: it cannot be handed back


def forget_resend_boxes(now) -> int:
    """Housekeeping: after its window (a day; 15 minutes when staff took the report
    down; 10 minutes for the same browser's resend) a resent form files a new
    report, and the box goes."""
    by_browser, _by_model = BrowserResend.objects.filter(
        sent_at__lt=now - BROWSER_RESEND_WINDOW
    ).delete()
    stale = Report.objects.filter(resend_box__isnull=False).filter(
        Q(received_at__lt=now - RESEND_WINDOW)
        | Q(taken_by__isnull=False, received_at__lt=now - STAFF_RESEND_WINDOW)
    )
    if not stale.exists():
        return by_browser
    with transaction.atomic():
        return by_browser + stale.update(resend_box=None, submission_digest=None)


def _browser_box(resend: _BrowserResend, report, receipt: str) -> BrowserResend:
    box = receipts.seal_for_resend(
        resend.secret, resend.fingerprint, report.id, receipt, purpose=_BROWSER
    )
    return BrowserResend(
        digest=resend.digest,
        report=report,
        box=box,
        files_digest=resend.files,
        sent_at=report.received_at,
    )


def _insert_case(insert: rows.Insert, cursor, *, long_name: bool) -> None:
    """The unique constraint decides the code name: a name already taken in the event
    is passed over and another tried, in the same transaction (no lookup before)."""
    (case,) = insert.objs
    for attempt in range(8):
        if insert.run(cursor):
            return
        case.code_name = new_code_name(extra_word=long_name or attempt >= 2)
        insert.prepare()
    raise IntegrityError("no free code name")


@dataclass
class _Decisions:
    """Who is recused, alerted and able to read, decided from one version of the roster."""

    roster_version: int
    reasons: dict
    recipients: list
    readers: list
    # Keys that failed their certificate, for the alarm: roster members, the recovery key.
    rejected: list
    recovery_rejected: object = None


def _decide(event, data: ReportInput, people, version: int, now) -> _Decisions:
    reasons = recusal.reasons_among(people, data.content, data.exclude_staff)
    found = alerts.recipients(event, people, set(reasons), urgent=data.danger_now, at=now)
    readers, recovery_rejected = _readers(event, people, set(reasons))
    rejected = [
        p
        for p in people
        if (p.key_rejected or p.membership_rejected)
        and p.role in CASE_ROLES
        and p.acknowledged(event)
        and event.vault_mode == VaultMode.PERSONAL
    ]
    return _Decisions(version, reasons, found, readers, rejected, recovery_rejected)


def _readers(event, people, recused: set[int]) -> tuple[list, object]:
    """Whom the case key is sealed to, besides the reporter's receipt: only keys whose
    certificate vouches for them (``vault.trust``); and a recovery key that failed."""
    if event.vault_mode == VaultMode.SERVER:
        return [vault.ServerRecipient.active()], None
    readers = [
        vault.PersonRecipient(p.user_id, public_key=p.public_key)
        for p in people
        if p.holds_case_keys(event) and p.user_id not in recused
    ]
    if not readers:
        # Nobody could read it: the server key holds it in escrow until the first
        # case worker signs in with a key (grants.release_escrow).
        readers.append(vault.ServerRecipient.active())
    recovery, rejected = keytrust.recovery_recipient(event.organisation)
    if recovery is not None:
        readers.append(recovery)
    return readers, rejected


def _roster_unchanged(event, version: int) -> bool:
    quote = connection.ops.quote_name
    sql = (
        f"SELECT 1 FROM {quote(Event._meta.db_table)} "  # noqa: S608 -- names from the model
        f"WHERE {quote('id')} = %s AND {quote('roster_version')} = %s"
    )
    if connection.vendor == "postgresql":
        # Roster changes update this row: they wait for this report, and their
        # rescan of the event's cases then sees it.
        sql += " FOR NO KEY UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [event.pk, version])
        return cursor.fetchone() is not None


def _inserts(
    case,
    report,
    decided: _Decisions,
    data: ReportInput,
    *,
    case_key,
    wraps,
    browser_box,
    files,
    now,
) -> list[rows.Insert]:
    """Every row of a new report as a prepared statement, in the order of their foreign
    keys, the case first; rebuilt if the roster changed before the write lock."""
    recipients = decided.recipients
    timeline = [
        TimelineEntry(
            case=case,
            at=now,
            kind=TimelineEntry.Kind.REPORT_RECEIVED,
            actor=data.taken_by,
            by_reporter=data.taken_by is None,
            detail={"channel": data.channel, "urgent": data.danger_now, "attachments": len(files)},
        ),
        TimelineEntry(
            case=case,
            at=now,
            kind=TimelineEntry.Kind.ALERT_QUEUED,
            detail={"count": escalation.people_count(recipients)},
        ),
    ]
    return [
        rows.Insert([case], ignore_conflicts=True),
        rows.Insert(wraps),
        rows.Insert([report]),
        rows.Insert([browser_box] if browser_box else []),
        rows.Insert(files),
        rows.Insert(recusal.recusal_rows(case, case_key, decided.reasons, now=now)),
        rows.Insert(alerts.new_case_alerts(case, recipients)),
        rows.Insert([escalation.start(case, now)]),
        rows.Insert(timeline),
    ]


def _file(
    event,
    data: ReportInput,
    resend: _Resend | None,
    by_browser: _BrowserResend | None,
    *,
    long_name,
    within=None,
) -> Submission:
    """Everything is decided, built and sealed first; the write transaction only inserts."""
    now = timezone.now()
    receipt = receipts.new_receipt()
    current = roster.for_event(event)
    decided = _decide(event, data, current.members, current.version, now)
    case = Case(
        id=uuid.uuid4(),
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
        language=_language(event, data),
        receipt_digest=receipts.digest(receipt),
        submission_digest=resend.digest if resend else None,
        taken_orally=data.taken_orally
        or (data.taken_by is not None and data.channel in ORAL_CHANNELS),
        contact_digest=data.contact_digest,
        thread_digest=receipts.keyed_digest("thread", data.thread_token)
        if data.thread_token
        else None,
        fingerprint=fingerprint.fingerprint(data.content.get("what_happened", "")),
    )
    if resend:
        report.resend_box = receipts.seal_for_resend(
            resend.key, resend.fingerprint, report.id, receipt
        )
    browser_box = _browser_box(by_browser, report, receipt) if by_browser else None
    case_key, wraps = vault.new_keyring(
        case.pk, [*decided.readers, vault.ReceiptRecipient(receipt, report.id)]
    )
    case.inbox_public_key, case.sealed_inbox_key = inbox.new_inbox(case_key, case.pk)
    report.sealed = case_key.seal(
        "report",
        report.pk,
        {
            **data.content,
            recusal.EXCLUDED_STAFF: list(data.exclude_staff),
            **({recusal.THREAD_TOKEN: data.thread_token} if data.thread_token else {}),
        },
    )
    files = attachments.sealed(
        case_key, case, data.attachments, at=now, report=report, by=data.taken_by
    )
    actor = Actor.user(data.taken_by) if data.taken_by else Actor.reporter()
    entry = audit.prepare(actor, "report.created", report, event_id=event.pk)
    prepared = functools.partial(
        _inserts,
        case,
        report,
        data=data,
        case_key=case_key,
        browser_box=browser_box,
        files=files,
        now=now,
    )
    inserts = prepared(decided, wraps=wraps)
    # Only the statements run under the write lock.
    with transaction.atomic():
        if not _roster_unchanged(event, decided.roster_version):
            event.refresh_from_db()
            fresh = roster.load(event)
            decided = _decide(event, data, fresh.members, fresh.version, now)
            # Readers may have changed too: wrap the same case key for the fresh set.
            readers = [*decided.readers, vault.ReceiptRecipient(receipt, report.id)]
            inserts = prepared(decided, wraps=vault.wraps_for(case_key, readers))
        with connection.cursor() as cursor:
            _insert_case(inserts[0], cursor, long_name=long_name)
            for insert in inserts[1:]:
                insert.run(cursor)
        if decided.rejected or decided.recovery_rejected:
            keytrust.raise_alarms(event, decided.rejected, decided.recovery_rejected)
        wakeup.notify()  # the alerts are queued: the worker wakes at commit
        entry.append()
        if within is not None:
            within(report, receipt)
    if not decided.recipients:
        # Nobody left to alert (all recused, nobody acknowledged, no fallback contact).
        log.error("report %s filed but nobody could be alerted at event %s", report.pk, event.slug)
    return Submission(report, receipt, alerted=len(decided.recipients))
