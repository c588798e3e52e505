"""The response team's API: the same actions as the case page."""

from datetime import datetime
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import ConfigDict, Field

from ombud.api.errors import ApiError
from ombud.api.schemas import NoNul, text
from ombud.audit import services as audit
from ombud.cases.models import SafetyStep, Status
from ombud.cases.queries import (
    cases_visible_to,
    dashboard_cases,
    reports_taken_by,
    reports_visible_to,
)
from ombud.cases.services import categories, team, work
from ombud.cases.services.access import case_key
from ombud.cases.services.recusal import report_fields
from ombud.events.models import Event, OrganiserAdmin
from ombud.staff.queries import memberships_of

router = Router(tags=["staff"])


class Detail(Schema):
    detail: str


class MeOut(Schema):
    username: str
    email: str
    name: str
    roles: dict[str, list[str]] = Field(description="Event slug → the caller's roles there.")
    events: list[dict]


@router.get("/me", response=MeOut)
def me(request):
    """Who the token belongs to, and their roles per event."""
    user = request.auth
    roles: dict[str, list[str]] = {}
    events = []
    for membership in memberships_of(user):
        roles.setdefault(membership.event.slug, []).append(membership.role)
        events.append(
            {
                "slug": membership.event.slug,
                "name": membership.event.name,
                "role": membership.role,
                "acknowledged": membership.is_acknowledged,
            }
        )
    admin_of = OrganiserAdmin.objects.filter(user=user).values_list("organisation_id", flat=True)
    for slug in Event.objects.filter(organisation_id__in=admin_of).values_list("slug", flat=True):
        roles.setdefault(slug, []).append("organiser_admin")
    return {
        "username": user.username,
        "email": user.email,
        "name": user.get_full_name(),
        "roles": roles,
        "events": events,
    }


class ReportSummary(Schema):
    id: UUID
    case_id: UUID
    case_code_name: str
    event: str
    received_at: datetime
    channel: str
    status: str
    urgent: bool
    access: str = Field(description="'case' for case workers; 'status' for staff who took it.")


class ReportOut(ReportSummary):
    danger_now: bool | None = None
    still_going_on: bool | None = None
    reporter_relation: str | None = None
    law_enforcement: str | None = None
    content: dict | None = Field(
        default=None, description="The report's fields; null for staff who only took it."
    )


def _summary(report, access: str) -> dict:
    return {
        "id": report.pk,
        "case_id": report.case_id,
        "case_code_name": report.case.code_name,
        "event": report.event.slug,
        "received_at": report.received_at,
        "channel": report.channel,
        "status": report.case.status,
        "urgent": report.case.urgent,
        "access": access,
    }


@router.get("/reports", response=list[ReportSummary])
def list_reports(request):
    """Reports on cases the caller works, then reports the caller took for someone."""
    user = request.auth
    seen = {}
    for report in (
        reports_visible_to(user).select_related("case", "event").order_by("-received_at")[:500]
    ):
        seen[report.pk] = _summary(report, "case")
    for report in (
        reports_taken_by(user).select_related("case", "event").order_by("-received_at")[:500]
    ):
        seen.setdefault(report.pk, _summary(report, "status"))
    return list(seen.values())


@router.get("/reports/{report_id}", response={200: ReportOut, 404: Detail})
def get_report(request, report_id: UUID):
    """One report; 404 for anything the caller may not see."""
    user = request.auth
    report = (
        reports_visible_to(user)
        .select_related("case", "case__event", "event")
        .filter(pk=report_id)
        .first()
    )
    if report is not None:
        content = report_fields(report, case_key(report.case, user))
        with transaction.atomic():
            audit.record(user, "report.read", report, event_id=report.event_id)
        return Reply(
            200,
            {
                **_summary(report, "case"),
                "danger_now": report.danger_now,
                "still_going_on": report.still_going_on,
                "reporter_relation": report.reporter_relation,
                "law_enforcement": report.law_enforcement,
                "content": content,
            },
        )
    report = reports_taken_by(user).select_related("case", "event").filter(pk=report_id).first()
    if report is None:
        raise ApiError(404, _("Not found."))
    return Reply(200, _summary(report, "status"))


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


class TimelineOut(Schema):
    at: datetime
    kind: str
    actor: str | None
    by_reporter: bool
    detail: dict


class NoteOut(Schema):
    id: UUID
    author: str
    created_at: datetime
    text: str


class MessageOut(Schema):
    id: UUID
    report_id: UUID
    direction: str
    author: str | None
    created_at: datetime
    text: str


class SafetyStepOut(Schema):
    kind: str
    by: str
    at: datetime
    override: bool = Field(description="Against the reporter's choice, for a present danger.")
    reason: str


class InterimActionOut(Schema):
    id: UUID
    by: str
    at: datetime
    text: str
    review_due: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None


class CaseOut(CaseSummary):
    reports: list[ReportOut]
    notes: list[NoteOut]
    messages: list[MessageOut]
    timeline: list[TimelineOut]
    recused: list[dict]
    allowed_statuses: list[str]
    helpers: list[str] = []
    categories: list[str] = []
    safety_steps: list[SafetyStepOut] = []
    interim_actions: list[InterimActionOut] = []


def _case_summary(case) -> dict:
    return {
        "id": case.pk,
        "code_name": case.code_name,
        "event": case.event.slug,
        "status": case.status,
        "urgent": case.urgent,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "version": case.version,
        "owner": case.owner.username if case.owner_id else None,
    }


def _visible_case(user, case_id):
    case = cases_visible_to(user).select_related("event", "owner").filter(pk=case_id).first()
    if case is None:
        raise ApiError(404, _("Not found."))
    return case


def _case_out(case, user) -> dict:
    case_file = work.open_case(case, by=user)
    return {
        **_case_summary(case),
        "reports": [
            {
                **_summary(r.report, "case"),
                "danger_now": r.report.danger_now,
                "still_going_on": r.report.still_going_on,
                "reporter_relation": r.report.reporter_relation,
                "law_enforcement": r.report.law_enforcement,
                "content": r.content,
            }
            for r in case_file.reports
        ],
        "notes": [
            {
                "id": n.note.pk,
                "author": n.note.author.username,
                "created_at": n.note.created_at,
                "text": n.text,
            }
            for n in case_file.notes
        ],
        "messages": [
            {
                "id": m.message.pk,
                "report_id": m.message.report_id,
                "direction": m.message.direction,
                "author": m.message.author.username if m.message.author else None,
                "created_at": m.message.created_at,
                "text": m.text,
            }
            for m in case_file.messages
        ],
        "timeline": [
            {
                "at": t.at,
                "kind": t.kind,
                "actor": t.actor.username if t.actor else None,
                "by_reporter": t.by_reporter,
                "detail": t.detail,
            }
            for t in case_file.timeline
        ],
        "recused": [{"username": r.user.username, "reason": r.reason} for r in case_file.recusals],
        "allowed_statuses": case_file.allowed_statuses(),
        "helpers": [helper.username for helper in case.helpers.all()],
        "categories": [category.name for category in case.categories.all()],
        "safety_steps": [
            {
                "kind": step.kind,
                "by": step.by.username,
                "at": step.at,
                "override": step.override,
                "reason": reason,
            }
            for step, reason in case_file.safety_steps
        ],
        "interim_actions": [
            {
                "id": action.pk,
                "by": action.by.username,
                "at": action.at,
                "text": text,
                "review_due": action.review_due,
                "reviewed_by": action.reviewed_by.username if action.reviewed_by else None,
                "reviewed_at": action.reviewed_at,
            }
            for action, text in case_file.interim_actions
        ],
    }


@router.get("/cases", response=list[CaseSummary])
def list_cases(request, limit: int = Query(100, ge=1, le=500)):
    """Cases the caller works and is not recused from: urgent and new first, then the
    rest newest first; the first ``limit`` (100 unless asked, at most 500)."""
    cases = dashboard_cases(cases_visible_to(request.auth).select_related("event", "owner"), limit)
    return [_case_summary(c) for c in cases]


@router.get("/cases/{case_id}", response={200: CaseOut, 404: Detail})
def get_case(request, case_id: UUID):
    """The whole case file (reading it is audited)."""
    return Reply(200, _case_out(_visible_case(request.auth, case_id), request.auth))


class VersionIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    version: int = Field(ge=1, description="The case version you saw; stale versions get 409.")


class StatusIn(VersionIn):
    # An enum accepts its string values only outside strict mode.
    status: Status = Field(strict=False)
    message: text(work.TEXT_LIMIT) = Field(
        default="",
        description="Closing message to the reporter: needed to close when they can be reached.",
    )


class TextIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: text(work.TEXT_LIMIT, required=True)


class MessageIn(TextIn):
    # A UUID arrives as a JSON string: strict mode would refuse every one.
    report_id: UUID | None = Field(default=None, strict=False)


def _run(action):
    try:
        return action()
    except work.StaleCase as exc:
        raise ApiError(409, str(exc)) from None
    except work.CaseActionError as exc:
        raise ApiError(409, str(exc)) from None


def _status_response(case, user):
    return Reply(200, _case_out(case, user))


@router.post("/cases/{case_id}/acknowledge", response={200: CaseOut, 404: Detail, 409: Detail})
def acknowledge(request, case_id: UUID, body: VersionIn):
    """Acknowledge a new case: the reporter sees that someone is on it."""
    case = _visible_case(request.auth, case_id)
    _run(lambda: work.acknowledge(case, by=request.auth, expected_version=body.version))
    return _status_response(case, request.auth)


@router.post("/cases/{case_id}/status", response={200: CaseOut, 404: Detail, 409: Detail})
def change_status(request, case_id: UUID, body: StatusIn):
    """Move a case along new → acknowledged → investigating → decided → closed (or reopen)."""
    case = _visible_case(request.auth, case_id)
    _run(
        lambda: work.change_status(
            case,
            body.status,
            by=request.auth,
            expected_version=body.version,
            closing_message=body.message or "",
        )
    )
    return _status_response(case, request.auth)


@router.post("/cases/{case_id}/notes", response={201: NoteOut, 404: Detail, 409: Detail})
def add_note(request, case_id: UUID, body: TextIn):
    """An internal note, sealed like the report and never shown to the reporter."""
    case = _visible_case(request.auth, case_id)
    note = _run(lambda: work.add_note(case, body.text, by=request.auth))
    return Reply(
        201,
        {
            "id": note.pk,
            "author": request.auth.username,
            "created_at": note.created_at,
            "text": body.text,
        },
    )


@router.post("/cases/{case_id}/messages", response={201: MessageOut, 404: Detail, 409: Detail})
def message_reporter(request, case_id: UUID, body: MessageIn):
    """A message the reporter reads with their receipt."""
    case = _visible_case(request.auth, case_id)
    report = None
    if body.report_id is not None:
        report = case.reports.filter(pk=body.report_id).first()
        if report is None:
            raise ApiError(404, _("Not found."))
    message = _run(lambda: work.message_reporter(case, body.text, by=request.auth, report=report))
    return Reply(
        201,
        {
            "id": message.pk,
            "report_id": message.report_id,
            "direction": message.direction,
            "author": request.auth.username,
            "created_at": message.created_at,
            "text": body.text,
        },
    )


class PersonIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: str = Field(min_length=1, max_length=150)
    version: int | None = Field(
        default=None, ge=1, description="For the owner: the case version you saw (stale → 409)."
    )


class CategoriesIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    categories: list[NoNul] = Field(max_length=40, description="Names of the event's categories.")
    version: int | None = Field(
        default=None, ge=1, description="The case version you saw (stale → 409)."
    )


class SafetyStepIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    step: SafetyStep.Kind = Field(strict=False)
    reason: text(team.REASON_LIMIT) = Field(
        default="", description="Why someone is in danger now (for an unasked referral)."
    )


def _person(username: str):
    person = get_user_model().objects.filter(username=username, is_active=True).first()
    if person is None:
        raise ApiError(409, _("That person cannot work on this case."))
    return person


@router.post("/cases/{case_id}/declaration", response={200: CaseOut, 404: Detail})
def declare_no_conflict(request, case_id: UUID):
    """Declare that you have no conflict of interest in the case (the case page asks
    before it first opens; a conflict is POST /recusal instead)."""
    case = _visible_case(request.auth, case_id)
    team.declare_no_conflict(case, by=request.auth)
    return _status_response(case, request.auth)


@router.post("/cases/{case_id}/recusal", response={200: Detail, 404: Detail})
def recuse(request, case_id: UUID):
    """Recuse yourself from the case at any time; no reason asked."""
    case = _visible_case(request.auth, case_id)
    _run(lambda: team.recuse_self(case, by=request.auth))
    return Reply(200, {"detail": _("You are recused from this case.")})


@router.post("/cases/{case_id}/owner", response={200: CaseOut, 404: Detail, 409: Detail})
def assign_owner(request, case_id: UUID, body: PersonIn):
    """Give the case an owner: yourself when nobody owns it; anyone eligible for a lead."""
    case = _visible_case(request.auth, case_id)
    _run(
        lambda: team.assign_owner(
            case, _person(body.username), by=request.auth, expected_version=body.version
        )
    )
    return _status_response(case, request.auth)


@router.post("/cases/{case_id}/categories", response={200: CaseOut, 404: Detail, 409: Detail})
def set_categories(request, case_id: UUID, body: CategoriesIn):
    """What kind of incident the case is about, from the event's categories."""
    case = _visible_case(request.auth, case_id)
    chosen = dict(case.event.categories.values_list("name", "pk"))
    if any(name not in chosen for name in body.categories):
        raise ApiError(409, _("Choose among this event's categories."))
    ids = [chosen[name] for name in body.categories]
    _run(lambda: categories.set_for_case(case, ids, by=request.auth, expected_version=body.version))
    return _status_response(case, request.auth)


@router.post("/cases/{case_id}/helpers", response={200: CaseOut, 404: Detail, 409: Detail})
def add_helper(request, case_id: UUID, body: PersonIn):
    """Add a helper (the owner or a lead)."""
    case = _visible_case(request.auth, case_id)
    _run(lambda: team.add_helper(case, _person(body.username), by=request.auth))
    return _status_response(case, request.auth)


@router.post(
    "/cases/{case_id}/safety-steps", response={201: SafetyStepOut, 404: Detail, 409: Detail}
)
def record_safety_step(request, case_id: UUID, body: SafetyStepIn):
    """Escort offered, venue security informed, law enforcement contacted."""
    case = _visible_case(request.auth, case_id)
    reason = body.reason or ""
    step = _run(
        lambda: team.record_safety_step(case, body.step, by=request.auth, danger_reason=reason)
    )
    return Reply(
        201,
        {
            "kind": step.kind,
            "by": request.auth.username,
            "at": step.at,
            "override": step.override,
            "reason": reason if step.override else "",
        },
    )


@router.post(
    "/cases/{case_id}/interim-actions",
    response={201: InterimActionOut, 404: Detail, 409: Detail},
)
def record_interim_action(request, case_id: UUID, body: TextIn):
    """An action taken on the spot; the team reviews it within 24 hours."""
    case = _visible_case(request.auth, case_id)
    action = _run(lambda: team.record_interim_action(case, body.text, by=request.auth))
    return Reply(
        201,
        {
            "id": action.pk,
            "by": request.auth.username,
            "at": action.at,
            "text": body.text,
            "review_due": action.review_due,
            "reviewed_by": None,
            "reviewed_at": None,
        },
    )


@router.post(
    "/cases/{case_id}/interim-actions/{action_id}/review",
    response={200: CaseOut, 404: Detail, 409: Detail},
)
def review_interim_action(request, case_id: UUID, action_id: UUID):
    """Someone other than who took it reviews an interim action."""
    case = _visible_case(request.auth, case_id)
    _run(lambda: team.review_interim_action(case, action_id, by=request.auth))
    return _status_response(case, request.auth)
