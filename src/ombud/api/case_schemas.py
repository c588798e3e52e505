"""What the response team's API answers and takes. Answers are built by these
schemas from what the services return (a ``CaseFile`` opened for one reader, its
views, the rows a service made), never assembled by hand in an endpoint."""

from datetime import date, datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from ombud.attendees import services as attendees
from ombud.cases.services import work
from ombud.records.services import expiry


def _username(person) -> str | None:
    return person.username if person else None


class MeOut(Schema):
    username: str
    email: str
    name: str
    roles: dict[str, list[str]] = Field(description="Event slug → the caller's roles there.")
    events: list[dict]


def _report(item):
    """The report row behind an item: a ``work.ReportView`` (opened) or the row itself."""
    return item.report if isinstance(item, work.ReportView) else item


def _of_report(read):
    """A resolver reading the report row behind an item, whichever kind it is."""
    return staticmethod(lambda item: read(_report(item)))


class ReportSummary(Schema):
    """A report in a list; ``access`` says what the caller may do with it."""

    id: UUID
    case_id: UUID
    case_code_name: str
    event: str
    received_at: datetime
    channel: str
    status: str
    urgent: bool
    access: str = Field(description="'case' for case workers; 'status' for staff who took it.")
    taken_orally: bool = Field(
        default=False, description="Written down by a staff member from what the reporter said."
    )
    confirmation: str = Field(
        default="",
        description="The reporter's answer about a report taken orally: 'confirmed', "
        "'corrected' (the correction is among the case's messages) or '' (none yet).",
    )

    resolve_id = _of_report(lambda report: report.pk)
    resolve_case_id = _of_report(lambda report: report.case_id)
    resolve_case_code_name = _of_report(lambda report: report.case.code_name)
    resolve_event = _of_report(lambda report: report.event.slug)
    resolve_received_at = _of_report(lambda report: report.received_at)
    resolve_channel = _of_report(lambda report: report.channel)
    resolve_status = _of_report(lambda report: report.case.status)
    resolve_urgent = _of_report(lambda report: report.case.urgent)
    resolve_taken_orally = _of_report(lambda report: report.taken_orally)
    resolve_confirmation = _of_report(lambda report: report.confirmation)

    @staticmethod
    def resolve_access(item) -> str:
        # Opened for a case worker; a bare row is what staff who took it may follow.
        return "case" if isinstance(item, work.ReportView) else getattr(item, "access", "status")


def _opened(field: str):
    """A field only a case worker reads: null in the status that staff who took it see."""

    def resolve(item):
        return getattr(item.report, field) if isinstance(item, work.ReportView) else None

    return staticmethod(resolve)


class ReportOut(ReportSummary):
    """One report as a case worker reads it (a ``work.ReportView``), or, for staff who
    took it, its status only (the report row: everything else is null)."""

    danger_now: bool | None = None
    still_going_on: bool | None = None
    reporter_relation: str | None = None
    law_enforcement: str | None = None
    language: str | None = Field(
        default=None, description="The language the reporter wrote in: answer in it."
    )
    content: dict | None = Field(
        default=None, description="The report's fields; null for staff who only took it."
    )
    attachments: list[dict] = Field(
        default_factory=list, description="id, name, type and size of each file."
    )
    replies_to: str | None = Field(
        default=None,
        description="'email' or 'sms': the reporter asked for the team's messages in full "
        "there (they are then sent, sealed until delivered); '' behind the receipt only.",
    )

    resolve_replies_to = _opened("replies_to")
    resolve_danger_now = _opened("danger_now")
    resolve_still_going_on = _opened("still_going_on")
    resolve_reporter_relation = _opened("reporter_relation")
    resolve_law_enforcement = _opened("law_enforcement")
    resolve_language = _opened("language")

    @staticmethod
    def resolve_content(item) -> dict | None:
        return item.content if isinstance(item, work.ReportView) else None

    @staticmethod
    def resolve_attachments(item) -> list[dict]:
        return _files(item.files) if isinstance(item, work.ReportView) else []


def _files(files) -> list[dict]:
    return [{k: f[k] for k in ("id", "name", "type", "size") if k in f} for f in files]


class CaseSummary(Schema):
    id: UUID
    code_name: str
    event: str
    status: str
    urgent: bool
    created_at: datetime
    updated_at: datetime
    version: int
    owner: str | None = Field(default=None, description="Username of the case's owner.")

    @staticmethod
    def resolve_event(case) -> str:
        return case.event.slug

    @staticmethod
    def resolve_owner(case) -> str | None:
        return _username(case.owner)


class TimelineOut(Schema):
    at: datetime
    kind: str
    actor: str | None
    by_reporter: bool
    detail: dict = Field(description="What changed; a linked case is named only if you may see it.")

    @staticmethod
    def resolve_actor(entry) -> str | None:
        return _username(entry.actor)

    @staticmethod
    def resolve_detail(entry) -> dict:
        return entry.shown_detail


class NoteOut(Schema):
    id: UUID
    author: str
    created_at: datetime
    text: str
    attachments: list[dict] = []

    @staticmethod
    def resolve_id(view) -> UUID:
        return view.note.pk

    @staticmethod
    def resolve_author(view) -> str:
        return view.note.author.username

    @staticmethod
    def resolve_created_at(view) -> datetime:
        return view.note.created_at

    @staticmethod
    def resolve_attachments(view) -> list[dict]:
        return _files(view.files)


class MessageOut(Schema):
    id: UUID
    report_id: UUID
    direction: str
    author: str | None
    created_at: datetime
    text: str
    correction: bool = Field(
        default=False, description="The reporter's correction of an account taken orally."
    )

    @staticmethod
    def resolve_id(view) -> UUID:
        return view.message.pk

    @staticmethod
    def resolve_report_id(view) -> UUID:
        return view.message.report_id

    @staticmethod
    def resolve_direction(view) -> str:
        return view.message.direction

    @staticmethod
    def resolve_author(view) -> str | None:
        return _username(view.message.author)

    @staticmethod
    def resolve_created_at(view) -> datetime:
        return view.message.created_at


class SafetyStepOut(Schema):
    kind: str
    by: str
    at: datetime
    override: bool = Field(description="Against the reporter's choice, for a present danger.")
    reason: str

    @classmethod
    def of(cls, step, reason: str) -> "SafetyStepOut":
        return cls(
            kind=step.kind,
            by=step.by.username,
            at=step.at,
            override=step.override,
            reason=reason if step.override else "",
        )


class InterimActionOut(Schema):
    id: UUID
    by: str
    at: datetime
    text: str
    review_due: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None

    @classmethod
    def of(cls, action, action_text: str) -> "InterimActionOut":
        return cls(
            id=action.pk,
            by=action.by.username,
            at=action.at,
            text=action_text,
            review_due=action.review_due,
            reviewed_by=_username(action.reviewed_by),
            reviewed_at=action.reviewed_at,
        )


class AccountOut(Schema):
    id: UUID
    given_by: str
    person: str
    text: str
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, account, said: dict) -> "AccountOut":
        return cls(
            id=account.pk,
            given_by=account.given_by,
            person=said.get("person", ""),
            text=said["text"],
            recorded_by=account.recorded_by.username,
            recorded_at=account.recorded_at,
        )


class ListedOut(Schema):
    kind: str = Field(description="attendees or speakers")
    name: str
    badge: str
    email: str

    @classmethod
    def of(cls, listed) -> "ListedOut":
        return cls(kind=listed.kind, name=listed.name, badge=listed.badge, email=listed.email)


class RespondentOut(Schema):
    id: UUID
    name: str
    badge: str
    email: str
    description: str
    recorded_by: str
    recorded_at: datetime
    listed: list[ListedOut] = Field(
        default=[],
        description="Who the name, badge or e-mail is on the event's attendee and speaker lists.",
    )

    @classmethod
    def of(cls, respondent, who: dict, listed=()) -> "RespondentOut":
        return cls(
            id=respondent.pk,
            recorded_by=respondent.recorded_by.username,
            recorded_at=respondent.recorded_at,
            listed=[ListedOut.of(person) for person in listed],
            **{k: who.get(k, "") for k in ("name", "badge", "email", "description")},
        )


class LinkOut(Schema):
    kind: str
    case_id: UUID | None = Field(description="Null for a linked case you may not see.")
    code_name: str | None
    reports: list[dict] = Field(
        default_factory=list,
        description="The fields of a duplicate's reports, once you may read that case.",
    )

    @classmethod
    def of(cls, shown: dict) -> "LinkOut":
        other = shown["case"]
        return cls(
            kind=shown["kind"],
            case_id=other.pk if other else None,
            code_name=other.code_name if other else None,
            reports=[view.content for view in shown["reports"]],
        )


class RecusedOut(Schema):
    username: str
    reason: str

    @staticmethod
    def resolve_username(view) -> str:
        return view.user.username


class _Opened:
    """A case file opened for one reader and its links, read by ``CaseOut`` as one
    object; anything else is the case's own (its summary fields)."""

    def __init__(self, case_file: work.CaseFile, shown_links: list):
        self.file = case_file
        self.shown_links = shown_links

    def __getattr__(self, name):
        return getattr(self.file.case, name)


def _of_file(read):
    """A resolver reading the opened case file behind ``CaseOut``."""
    return staticmethod(lambda opened: read(opened.file))


class DeadlineOut(Schema):
    what: str = Field(
        description="acknowledge or update (the event's promises); legal_acknowledge or "
        "legal_feedback (the EU whistleblowing directive, where the organisation keeps it)."
    )
    due: datetime
    met: bool
    legal: bool


class CaseOut(CaseSummary):
    """The whole case file, opened for the caller (reading it is audited)."""

    reports: list[ReportOut]
    notes: list[NoteOut]
    messages: list[MessageOut]
    timeline: list[TimelineOut]
    recused: list[RecusedOut]
    allowed_statuses: list[str]
    helpers: list[str] = []
    categories: list[str] = []
    safety_steps: list[SafetyStepOut] = []
    interim_actions: list[InterimActionOut] = []
    accounts: list[AccountOut] = []
    respondents: list[RespondentOut] = []
    links: list[LinkOut] = []
    deadlines: list[DeadlineOut] = []

    @classmethod
    def of(cls, case_file: work.CaseFile, shown_links: list) -> "CaseOut":
        """``shown_links``: the case's links as the reader may see them (``links.linked_for``)."""
        return cls.from_orm(_Opened(case_file, shown_links))

    expunge_on: date | None = Field(
        default=None,
        description="When the case's content is destroyed (its retention; a lead may extend "
        "it: POST /cases/{id}/retention). Null while open, or while a permanent ban keeps it.",
    )
    expunge_rule: str = Field(
        default="",
        description="The rule that sets it: no_action, warning, removal, ban, ban_in_force, "
        "extended or open.",
    )

    resolve_expunge_on = _of_file(lambda file: expiry.expiry_of(file.case).on)
    resolve_expunge_rule = _of_file(lambda file: expiry.expiry_of(file.case).rule)
    resolve_reports = _of_file(lambda file: file.reports)
    resolve_notes = _of_file(lambda file: file.notes)
    resolve_messages = _of_file(lambda file: file.messages)
    resolve_timeline = _of_file(lambda file: file.timeline)
    resolve_recused = _of_file(lambda file: file.recusals)
    resolve_allowed_statuses = _of_file(lambda file: file.allowed_statuses())
    resolve_deadlines = _of_file(lambda file: file.deadlines())
    resolve_helpers = _of_file(lambda file: [p.username for p in file.case.helpers.all()])
    resolve_categories = _of_file(lambda file: [c.name for c in file.case.categories.all()])
    resolve_safety_steps = _of_file(
        lambda file: [SafetyStepOut.of(*item) for item in file.safety_steps]
    )
    resolve_interim_actions = _of_file(
        lambda file: [InterimActionOut.of(*item) for item in file.interim_actions]
    )
    resolve_accounts = _of_file(lambda file: [AccountOut.of(*item) for item in file.accounts])
    resolve_respondents = _of_file(
        lambda file: [
            RespondentOut.of(*item)
            for item in attendees.for_respondents(file.case.event, file.respondents)
        ]
    )

    @staticmethod
    def resolve_links(opened) -> list:
        return [LinkOut.of(shown) for shown in opened.shown_links]


class AccessLogOut(Schema):
    at: datetime
    who: str | None = Field(description="Username; null for the reporter or Ombud itself.")
    actor: str = Field(description="user, reporter or system.")
    what: str

    @classmethod
    def of(cls, entry: dict) -> "AccessLogOut":
        return cls(
            at=entry["at"],
            who=_username(entry["who"]),
            actor=entry["kind"],
            what=str(entry["what"]),
        )
