"""The response team's use cases on a case they can see: read, acknowledge,
change status, write notes, message the reporter. Each is audited in its
own transaction."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombud.audit import services as audit
from ombud.audit.models import Entry
from ombud.cases import rules
from ombud.cases.models import Account, Attachment, Case, Message, Note, Status, TimelineEntry
from ombud.cases.services import attachments, escalation, promises, recusal, replies, timeline
from ombud.cases.services.access import case_key
from ombud.notify import services as notify
from ombud.staff.models import CASE_ROLES

TEXT_LIMIT = 20_000

# Where each status may go next; "closed" goes back to investigating (reopen).
TRANSITIONS = {
    Status.NEW: (Status.ACKNOWLEDGED,),
    Status.ACKNOWLEDGED: (Status.INVESTIGATING, Status.DECIDED, Status.CLOSED),
    Status.INVESTIGATING: (Status.DECIDED, Status.CLOSED),
    Status.DECIDED: (Status.CLOSED, Status.INVESTIGATING),
    Status.CLOSED: (Status.INVESTIGATING,),
}


_LABELS = dict(Status.choices)


class CaseActionError(Exception):
    """An action that cannot be taken; the message is shown to the person who tried."""


def refuse(reason: str) -> None:
    """Raise a rule's reason for a refusal (``rules.why_not_*``); nothing when allowed."""
    if reason:
        raise CaseActionError(reason)


class StaleCase(CaseActionError):
    def __init__(self):
        super().__init__(
            gettext_lazy("Someone else changed this case meanwhile. Reload it and try again.")
        )


@dataclass(frozen=True)
class ReportView:
    report: object
    content: dict
    files: list = ()  # name, type and size of each attachment

    @property
    def labelled(self):
        return self.report.labelled(self.content)


@dataclass(frozen=True)
class NoteView:
    note: Note
    text: str
    files: list = ()


@dataclass(frozen=True)
class MessageView:
    message: Message
    text: str
    # The reporter's correction of an account a staff member wrote down for them.
    correction: bool = False


@dataclass(frozen=True)
class RecusalView:
    user: object
    reason: str


@dataclass(frozen=True)
class CaseFile:
    """A case opened for one reader: decrypted for this request only."""

    case: Case
    reports: list
    notes: list
    messages: list
    timeline: list
    recusals: list
    role: str | None
    safety_steps: list = ()  # (step, the sealed reason of an override or "")
    accounts: list = ()  # (account, {"text", "person"})
    respondents: list = ()  # (respondent, {"name", "badge", "email", "description"})
    interim_actions: list = ()  # (action, text)

    def deadlines(self) -> list:
        """The case's deadlines (``promises.deadlines``), from the messages already opened."""
        sent = [
            item.message.created_at
            for item in self.messages
            if item.message.direction == Message.Direction.TO_REPORTER
        ]
        self.case.last_update = max(sent, default=None)
        return promises.deadlines(self.case)

    def allowed_statuses(self) -> list[str]:
        return [
            s
            for s in TRANSITIONS[self.case.status]
            if rules.may_set_status(self.role, self.case.status, s)
        ]


def open_attachment(case: Case, attachment_id, *, by) -> attachments.CheckedFile:
    """One attachment's bytes, for download; audited like reading the case."""
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Attachment.DoesNotExist
    opened = attachments.opened(attachment, case_key(case, by))
    with transaction.atomic():
        audit.record(by, "attachment.read", attachment, event_id=case.event_id)
    return opened


def open_case(case: Case, *, by) -> CaseFile:
    """Decrypt a case the reader may see (the caller got it from ``cases_visible_to``)."""
    opened = case_key(case, by)
    files: dict = {}
    for attachment in case.attachments.all():
        files.setdefault(attachment.report_id or attachment.note_id, []).append(attachment)
    reports = [
        ReportView(
            r,
            recusal.report_fields(r, opened),
            attachments.described(files.get(r.pk, []), opened),
        )
        for r in case.reports.select_related("taken_by").order_by("received_at")
    ]
    notes = [
        NoteView(
            n,
            opened.open("note", n.pk, n.sealed)["text"],
            attachments.described(files.get(n.pk, []), opened),
        )
        for n in case.notes.select_related("author")
    ]
    said = [(m, recusal.message_content(m, opened)) for m in case.messages.select_related("author")]
    messages = [MessageView(m, c["text"], bool(c.get("correction"))) for m, c in said]
    who = dict(recusal.who_and_why(r, opened) for r in case.recusals.all())
    people = get_user_model().objects.in_bulk(list(who))
    recusals = [
        RecusalView(people[user_id], reason) for user_id, reason in who.items() if user_id in people
    ]
    safety_steps = [
        (
            step,
            opened.open("safety", step.pk, step.sealed_reason)["reason"]
            if step.sealed_reason
            else "",
        )
        for step in case.safety_steps.select_related("by")
    ]
    interim_actions = [
        (action, opened.open("interim", action.pk, action.sealed)["text"])
        for action in case.interim_actions.select_related("by", "reviewed_by")
    ]
    accounts = [
        (account, opened.open("account", account.pk, account.sealed))
        for account in case.accounts.select_related("recorded_by")
    ]
    respondents = [
        (r, opened.open("respondent", r.pk, r.sealed))
        for r in case.respondents.select_related("recorded_by")
    ]
    with transaction.atomic():
        audit.record(by, "case.read", case, event_id=case.event_id)
    return CaseFile(
        respondents=respondents,
        accounts=accounts,
        safety_steps=safety_steps,
        interim_actions=interim_actions,
        case=case,
        reports=reports,
        notes=notes,
        messages=messages,
        timeline=timeline.shown_to(by, case.timeline.select_related("actor")),
        recusals=recusals,
        role=rules.role_in(by, case.event),
    )


def read_report(case: Case, report_id, *, by) -> ReportView:
    """One report of the case (the API's report view), decrypted for this request."""
    report = case.reports.select_related("case", "event").get(pk=report_id)
    opened = case_key(case, by)
    files = attachments.described(report.attachments.all(), opened)
    with transaction.atomic():
        audit.record(by, "report.read", report, event_id=case.event_id)
    return ReportView(report, recusal.report_fields(report, opened), files)


def export(case: Case, *, by) -> CaseFile:
    """The whole case for one of its leads to print or save (page or JSON): audited as an
    export, on top of the read, since a copy now exists outside Ombud."""
    if not rules.may_export(by, case):
        raise CaseActionError(_("Only the event's incident leads export a case."))
    case_file = open_case(case, by=by)
    with transaction.atomic():
        audit.record(by, "case.exported", case, event_id=case.event_id)
    return case_file


def bump(case: Case, expected_version: int, **changes) -> None:
    """Change the case only if nobody else did since ``expected_version`` (else
    StaleCase): two people acting on the same page cannot overwrite each other."""
    now = timezone.now()
    updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=now, **changes
    )
    if not updated:
        raise StaleCase
    case.refresh_from_db(fields=["version", "updated_at", *changes])


def reporter_reachable(case: Case) -> bool:
    """A reporter who gave contact details, or who follows the case with their
    receipt, is owed a closing message."""
    reports = list(case.reports.values_list("pk", "reachable"))
    if any(reachable for _pk, reachable in reports):
        return True
    followed = Entry.objects.filter(
        action="report.read_by_reporter", object_id__in=[str(pk) for pk, _r in reports]
    )
    return (
        followed.exists()
        or case.messages.filter(direction=Message.Direction.FROM_REPORTER).exists()
    )


@transaction.atomic
def change_status(
    case: Case,
    target: str,
    *,
    by,
    expected_version: int,
    closing_message: str = "",
    by_decision: bool = False,
) -> Case:
    """Move a case on. ``by_decision``: a decision whose event rule is met makes the case
    "decided", whoever on the team makes it final (decisions.services.decide)."""
    current = case.status
    if target not in TRANSITIONS.get(current, ()):
        raise CaseActionError(
            _("A case cannot go from “%(from)s” to “%(to)s”.")
            % {"from": _LABELS[current], "to": _LABELS.get(target, target)}
        )
    role = rules.role_in(by, case.event)
    decided_by_rule = by_decision and target == Status.DECIDED and role in CASE_ROLES
    if not decided_by_rule and not rules.may_set_status(role, current, target):
        raise CaseActionError(_("Only an incident lead can do that."))
    closing_message = (closing_message or "").strip()
    if target == Status.CLOSED and not closing_message and reporter_reachable(case):
        raise CaseActionError(
            _("The reporter can be reached: write them a closing message to close the case.")
        )
    # Retention (ombud.records) runs from the last closing; reopening stops it.
    closed_at = timezone.now() if target == Status.CLOSED else None
    bump(case, expected_version, status=target, closed_at=closed_at)
    if target == Status.CLOSED and closing_message:
        for report in case.reports.order_by("received_at"):
            message_reporter(case, closing_message, by=by, report=report)
    timeline.add(
        case, TimelineEntry.Kind.STATUS_CHANGED, actor=by, **{"from": current, "to": target}
    )
    if current == Status.NEW:
        escalation.stop(case, by=by)
    audit.record(by, "case.status_changed", case, event_id=case.event_id)
    return case


def acknowledge(case: Case, *, by, expected_version: int) -> Case:
    return change_status(case, Status.ACKNOWLEDGED, by=by, expected_version=expected_version)


def clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise CaseActionError(_("Write something first."))
    if len(text) > TEXT_LIMIT:
        raise CaseActionError(
            _("That is too long: at most %(limit)d characters.") % {"limit": TEXT_LIMIT}
        )
    return text


@transaction.atomic
def add_note(case: Case, text: str, *, by, files=()) -> Note:
    text = clean_text(text)
    now = timezone.now()
    note = Note(case=case, author=by, created_at=now)
    opened = case_key(case, by)
    note.sealed = opened.seal("note", note.pk, {"text": text})
    note.save(force_insert=True)
    Attachment.objects.bulk_create(
        attachments.sealed(opened, case, files, at=now, note=note, by=by)
    )
    Case.objects.filter(pk=case.pk).update(updated_at=now)
    timeline.add(case, TimelineEntry.Kind.NOTE_ADDED, actor=by, at=now)
    audit.record(by, "note.created", note, event_id=case.event_id)
    return note


@transaction.atomic
def record_account(case: Case, given_by: str, text: str, *, by, person: str = "") -> Account:
    """An account the reporter, the person reported or a witness gave a staff member."""
    refuse(rules.why_not_work_on(by, case))
    if given_by not in Account.GivenBy.values:
        raise CaseActionError(_("Say who gave the account."))
    text = clean_text(text)
    account = Account(case=case, given_by=given_by, recorded_by=by, recorded_at=timezone.now())
    account.sealed = case_key(case, by).seal(
        "account", account.pk, {"text": text, "person": (person or "").strip()[:200]}
    )
    account.save(force_insert=True)
    Case.objects.filter(pk=case.pk).update(updated_at=account.recorded_at)
    timeline.add(case, TimelineEntry.Kind.ACCOUNT, actor=by, given_by=given_by)
    audit.record(by, "account.created", account, event_id=case.event_id)
    return account


@transaction.atomic
def message_reporter(case: Case, text: str, *, by, report=None) -> Message:
    """A message the reporter reads through their receipt."""
    text = clean_text(text)
    report = report or case.reports.order_by("received_at").first()
    if report is None or report.case_id != case.pk:
        raise CaseActionError(_("That report is not part of this case."))
    now = timezone.now()
    message = Message(
        case=case,
        report=report,
        direction=Message.Direction.TO_REPORTER,
        author=by,
        created_at=now,
    )
    opened = case_key(case, by)
    message.sealed = opened.seal("message", message.pk, {"text": text})
    message.save(force_insert=True)
    Case.objects.filter(pk=case.pk).update(updated_at=now)
    timeline.add(case, TimelineEntry.Kind.MESSAGE_TO_REPORTER, actor=by, at=now)
    # A content-free notice, or the text in full where the reporter asked for it.
    notify.save(replies.reply_rows(case, report, opened, text))
    audit.record(by, "message.created", message, event_id=case.event_id)
    return message
