"""Decisions through the API: the same services as the case page's decision panel."""

from datetime import date, datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Reply
from pydantic import ConfigDict, Field

from ombud.api.errors import ApiError
from ombud.api.schemas import Detail, answers, text
from ombud.cases.services import access
from ombud.decisions import rules
from ombud.decisions.models import Appeal, Consequence, Decision
from ombud.decisions.services import appeals, banlist, decide, panel
from ombud.decisions.services.decide import IDENTITY_LIMIT, TEXT_LIMIT
from ombud.events.models import Event
from ombud.web import ratelimit

router = Router(tags=["decisions"])


class RespondentIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: text(IDENTITY_LIMIT) = ""
    badge: text(IDENTITY_LIMIT) = ""
    email: text(IDENTITY_LIMIT) = ""


class ProposeIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    consequence: Consequence = Field(strict=False)
    reasoning: text(TEXT_LIMIT, required=True)
    to_respondent: text(TEXT_LIMIT) = ""
    to_reporter: text(TEXT_LIMIT) = ""
    ban_until: date | None = Field(
        default=None, strict=False, description="For a ban for a period; none = permanent."
    )
    respondent: RespondentIn = Field(
        default_factory=RespondentIn, description="Needed for a ban: name, badge or e-mail."
    )
    show_to_reporter: bool = False


class FinalIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    version: int = Field(ge=1, description="The case version you saw; stale versions get 409.")


class AppealIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    grounds: text(TEXT_LIMIT, required=True)


class ReviewIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    outcome: str = Field(pattern="^(upheld|overturned)$")
    reasoning: text(TEXT_LIMIT, required=True)


class AppealOut(Schema):
    outcome: str
    grounds: str
    review: str


class DecisionOut(Schema):
    id: UUID
    consequence: str
    state: str
    ban_until: date | None
    proposed_by: str
    proposed_at: datetime
    approved_by: list[str]
    rule_met: bool
    reasoning: str
    to_respondent: str
    to_reporter: str
    shown_to_reporter: bool
    reporter_comments: list[str]
    appeal: AppealOut | None

    @classmethod
    def of(cls, item: panel.DecisionView) -> "DecisionOut":
        """From the decision panel's view of one decision, opened for the caller."""
        decision = item.decision
        appeal = item.appeal
        return cls(
            id=decision.pk,
            consequence=decision.consequence,
            state=decision.state,
            ban_until=decision.ban_until,
            proposed_by=decision.proposed_by.username,
            proposed_at=decision.proposed_at,
            approved_by=[a.by.username for a in item.approvals],
            rule_met=item.satisfied,
            reasoning=item.content.get("reasoning", ""),
            to_respondent=item.content.get("to_respondent", ""),
            to_reporter=item.content.get("to_reporter", ""),
            shown_to_reporter=decision.shown_to_reporter,
            reporter_comments=[text for _at, text in item.comments],
            appeal=AppealOut(
                outcome=appeal.appeal.outcome, grounds=appeal.grounds, review=appeal.review
            )
            if appeal
            else None,
        )


def _out(case, user, decision_id) -> "DecisionOut":
    for item in panel.build(case, user).decisions:
        if item.decision.pk == decision_id:
            return DecisionOut.of(item)
    raise ApiError(404, _("Not found."))


def _decision(case, decision_id) -> Decision:
    decision = Decision.objects.filter(case=case, pk=decision_id).first()
    if decision is None:
        raise ApiError(404, _("Not found."))
    decision.case = case
    return decision


@router.get("/cases/{case_id}/decisions", response=answers({200: list[DecisionOut]}, body=False))
def list_decisions(request, case_id: UUID):
    """The case's decisions, newest first, with approvals, texts and any appeal."""
    case = access.readable_case(request.auth, case_id)
    ids = [item.decision.pk for item in panel.build(case, request.auth).decisions]
    return Reply(200, [_out(case, request.auth, pk) for pk in ids])


@router.post("/cases/{case_id}/decisions", response=answers({201: DecisionOut}))
def propose(request, case_id: UUID, body: ProposeIn):
    """Propose a decision; it becomes final once the event's approval rule is met."""
    case = access.readable_case(request.auth, case_id)
    decision = decide.propose(
        case,
        by=request.auth,
        consequence=body.consequence,
        texts={
            "reasoning": body.reasoning,
            "to_respondent": body.to_respondent,
            "to_reporter": body.to_reporter,
        },
        identity=body.respondent.dict(),
        ban_until=body.ban_until,
        show_to_reporter=body.show_to_reporter,
    )
    return Reply(201, _out(case, request.auth, decision.pk))


@router.post(
    "/cases/{case_id}/decisions/{decision_id}/approve",
    response=answers({200: DecisionOut}, body=False),
)
def approve(request, case_id: UUID, decision_id: UUID):
    """Approve someone else's proposal."""
    case = access.readable_case(request.auth, case_id)
    decide.approve(_decision(case, decision_id), by=request.auth)
    return Reply(200, _out(case, request.auth, decision_id))


@router.post(
    "/cases/{case_id}/decisions/{decision_id}/final",
    response=answers({200: DecisionOut}),
)
def make_final(request, case_id: UUID, decision_id: UUID, body: FinalIn):
    """Make a proposal whose rule is met final: the case is decided."""
    case = access.readable_case(request.auth, case_id)
    decision = _decision(case, decision_id)
    decide.make_final(decision, by=request.auth, expected_version=body.version)
    case.refresh_from_db()
    return Reply(200, _out(case, request.auth, decision_id))


@router.post(
    "/cases/{case_id}/decisions/{decision_id}/withdraw",
    response=answers({200: DecisionOut}, body=False),
)
def withdraw(request, case_id: UUID, decision_id: UUID):
    """Withdraw a proposal (its proposer or a lead)."""
    case = access.readable_case(request.auth, case_id)
    decide.withdraw(_decision(case, decision_id), by=request.auth)
    return Reply(200, _out(case, request.auth, decision_id))


@router.post(
    "/cases/{case_id}/decisions/{decision_id}/appeal",
    response=answers({200: DecisionOut}),
)
def appeal(request, case_id: UUID, decision_id: UUID, body: AppealIn):
    """Record the respondent's appeal against a final decision."""
    case = access.readable_case(request.auth, case_id)
    appeals.record(_decision(case, decision_id), body.grounds, by=request.auth)
    return Reply(200, _out(case, request.auth, decision_id))


@router.post(
    "/cases/{case_id}/decisions/{decision_id}/appeal/review",
    response=answers({200: DecisionOut}),
)
def review(request, case_id: UUID, decision_id: UUID, body: ReviewIn):
    """Uphold or overturn an appeal (someone who neither proposed nor approved)."""
    case = access.readable_case(request.auth, case_id)
    found = Appeal.objects.filter(decision=_decision(case, decision_id)).first()
    if found is None:
        raise ApiError(404, _("Not found."))
    appeals.review(found, body.outcome, body.reasoning, by=request.auth)
    return Reply(200, _out(case, request.auth, decision_id))


class DeskCheckIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    who: text(IDENTITY_LIMIT, required=True) = Field(
        description="A name, badge number or e-mail address, as the attendee gave it."
    )


class DeskCheckOut(Schema):
    answer: str = Field(description="no_match or ask_a_lead: never who, why or until when.")


@router.post(
    "/events/{event}/desk-check",
    response=answers({200: DeskCheckOut, 429: Detail}, conflict=False),
    tags=["desk"],
)
def desk_check(request, event: str, body: DeskCheckIn):
    """The registration desk's question (as the desk check page asks it): is this name,
    badge number or e-mail on the organisation's ban list? For the event's registration
    desk and incident leads; the answer is only no_match or ask_a_lead; throttled per
    account; every check is audited."""
    # A NUL cannot be a slug, and PostgreSQL refuses it in a query.
    found = None if "\x00" in event else Event.objects.filter(slug=event).first()
    if found is None or not rules.may_check_desk(request.auth, found):
        raise ApiError(404, _("Not found."))
    key = ratelimit.per_account(request.auth)
    if ratelimit.exceeded(banlist.DESK_SCOPE, key):
        return Reply(429, {"detail": _("Too many checks for now; wait a few minutes.")})
    ratelimit.hit(banlist.DESK_SCOPE, key)
    matched = banlist.desk_check(found, body.who, by=request.auth)
    return {"answer": banlist.ASK_A_LEAD if matched else banlist.NO_MATCH}
