"""The response team's API, acting: every action of the case page (``cases.actions``
names each one's operation here), through the same services. A refused action is
a 409 whose ``code`` says why (``schemas.Conflict``)."""

from uuid import UUID

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Router
from ninja import Status as Reply

from ombud.api.case_inputs import (
    AccountIn,
    CategoriesIn,
    LinkIn,
    MessageIn,
    PersonIn,
    RespondentIn,
    SafetyStepIn,
    StatusIn,
    TextIn,
    VersionIn,
)
from ombud.api.case_schemas import (
    AccountOut,
    CaseOut,
    InterimActionOut,
    LinkOut,
    MessageOut,
    NoteOut,
    RespondentOut,
    SafetyStepOut,
)
from ombud.api.cases import case_out
from ombud.api.errors import ApiError
from ombud.api.schemas import Detail, answers
from ombud.attendees import services as attendees
from ombud.cases.models import Case
from ombud.cases.services import access, categories, links, respondents, team, work

router = Router(tags=["staff"])


def _case(request, case_id):
    return access.readable_case(request.auth, case_id, related=("event", "owner"))


def _fresh(case) -> Case:
    """The case as it is after an action changed it."""
    return Case.objects.select_related("event", "owner").get(pk=case.pk)


def _person(username: str):
    person = get_user_model().objects.filter(username=username, is_active=True).first()
    if person is None:
        raise work.CaseActionError(_("That person cannot work on this case."))
    return person


@router.post("/cases/{case_id}/acknowledge", response=answers({200: CaseOut}))
def acknowledge(request, case_id: UUID, body: VersionIn):
    """Acknowledge a new case: the reporter sees that someone is on it."""
    case = _case(request, case_id)
    work.acknowledge(case, by=request.auth, expected_version=body.version)
    return case_out(_fresh(case), request.auth)


@router.post("/cases/{case_id}/status", response=answers({200: CaseOut}))
def change_status(request, case_id: UUID, body: StatusIn):
    """Move a case along new → acknowledged → investigating → decided → closed (or reopen)."""
    case = _case(request, case_id)
    work.change_status(
        case,
        body.status,
        by=request.auth,
        expected_version=body.version,
        closing_message=body.message or "",
    )
    return case_out(_fresh(case), request.auth)


@router.post("/cases/{case_id}/notes", response=answers({201: NoteOut}))
def add_note(request, case_id: UUID, body: TextIn):
    """An internal note, sealed like the report and never shown to the reporter."""
    note = work.add_note(_case(request, case_id), body.text, by=request.auth)
    return Reply(201, NoteOut.from_orm(work.NoteView(note, body.text)))


@router.post("/cases/{case_id}/messages", response=answers({201: MessageOut}))
def message_reporter(request, case_id: UUID, body: MessageIn):
    """A message the reporter reads with their receipt."""
    case = _case(request, case_id)
    report = None
    if body.report_id is not None:
        report = case.reports.filter(pk=body.report_id).first()
        if report is None:
            raise ApiError(404, _("Not found."))
    message = work.message_reporter(case, body.text, by=request.auth, report=report)
    return Reply(201, MessageOut.from_orm(work.MessageView(message, body.text)))


@router.post("/cases/{case_id}/declaration", response=answers({200: CaseOut}, body=False))
def declare_no_conflict(request, case_id: UUID):
    """Declare that you have no conflict of interest in the case (asked before it first
    opens for you, on the page and here; a conflict is POST /recusal instead)."""
    case = access.visible_case(request.auth, case_id, related=("event", "owner"))
    team.declare_no_conflict(case, by=request.auth)
    return case_out(case, request.auth)


@router.post("/cases/{case_id}/recusal", response=answers({200: Detail}, body=False))
def recuse(request, case_id: UUID):
    """Recuse yourself from the case at any time; no reason asked."""
    case = access.visible_case(request.auth, case_id)
    team.recuse_self(case, by=request.auth)
    return {"detail": _("You are recused from this case.")}


@router.post("/cases/{case_id}/owner", response=answers({200: CaseOut}))
def assign_owner(request, case_id: UUID, body: PersonIn):
    """Give the case an owner: yourself when nobody owns it; anyone eligible for a lead."""
    case = _case(request, case_id)
    team.assign_owner(case, _person(body.username), by=request.auth, expected_version=body.version)
    return case_out(_fresh(case), request.auth)


@router.post("/cases/{case_id}/categories", response=answers({200: CaseOut}))
def set_categories(request, case_id: UUID, body: CategoriesIn):
    """What kind of incident the case is about, from the event's categories."""
    case = _case(request, case_id)
    chosen = dict(case.event.categories.values_list("name", "pk"))
    if any(name not in chosen for name in body.categories):
        raise work.CaseActionError(_("Choose among this event's categories."))
    ids = [chosen[name] for name in body.categories]
    categories.set_for_case(case, ids, by=request.auth, expected_version=body.version)
    return case_out(_fresh(case), request.auth)


@router.post("/cases/{case_id}/helpers", response=answers({200: CaseOut}))
def add_helper(request, case_id: UUID, body: PersonIn):
    """Add a helper (the owner or a lead)."""
    case = _case(request, case_id)
    team.add_helper(case, _person(body.username), by=request.auth)
    return case_out(_fresh(case), request.auth)


@router.post("/cases/{case_id}/safety-steps", response=answers({201: SafetyStepOut}))
def record_safety_step(request, case_id: UUID, body: SafetyStepIn):
    """Escort offered, venue security informed, law enforcement contacted."""
    reason = body.reason or ""
    step = team.record_safety_step(
        _case(request, case_id), body.step, by=request.auth, danger_reason=reason
    )
    return Reply(201, SafetyStepOut.of(step, reason))


@router.post("/cases/{case_id}/interim-actions", response=answers({201: InterimActionOut}))
def record_interim_action(request, case_id: UUID, body: TextIn):
    """An action taken on the spot; the team reviews it within 24 hours."""
    action = team.record_interim_action(_case(request, case_id), body.text, by=request.auth)
    return Reply(201, InterimActionOut.of(action, body.text))


@router.post(
    "/cases/{case_id}/interim-actions/{action_id}/review",
    response=answers({200: CaseOut}, body=False),
)
def review_interim_action(request, case_id: UUID, action_id: UUID):
    """Someone other than who took it reviews an interim action."""
    case = _case(request, case_id)
    team.review_interim_action(case, action_id, by=request.auth)
    return case_out(_fresh(case), request.auth)


@router.post("/cases/{case_id}/accounts", response=answers({201: AccountOut}))
def record_account(request, case_id: UUID, body: AccountIn):
    """What the reporter, the person reported or a witness told a member of the team."""
    account = work.record_account(
        _case(request, case_id), body.given_by, body.text, by=request.auth, person=body.person
    )
    return Reply(201, AccountOut.of(account, {"text": body.text, "person": body.person}))


@router.post("/cases/{case_id}/respondents", response=answers({201: RespondentOut}))
def record_respondent(request, case_id: UUID, body: RespondentIn):
    """Who was reported, as on their registration: the organisation's other reports about
    the same person are found by keyed fingerprints of the name, badge and e-mail."""
    fields = body.model_dump()
    case = _case(request, case_id)
    respondent = respondents.record(case, by=request.auth, **fields)
    listed = attendees.resolve(
        case.event, name=fields["name"], badge=fields["badge"], email=fields["email"]
    )
    return Reply(201, RespondentOut.of(respondent, fields, listed))


@router.post("/cases/{case_id}/links", response=answers({201: LinkOut}))
def link_cases(request, case_id: UUID, body: LinkIn):
    """Link the case with another of the event that you may open, by its code name: the
    same incident (duplicate) or a related one. Both cases show the link."""
    case = _case(request, case_id)
    made = links.link(case, body.code_name, body.kind, by=request.auth)
    shown = next(s for s in links.linked_for(case, request.auth) if s["case"] == made.other)
    return Reply(201, LinkOut.of(shown))
