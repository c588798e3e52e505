"""Deciding a case as a team: propose, approve, make final, withdraw.

Each use case runs in one transaction with its audit entry; a refusal raises
``DecisionRefused`` (a ``CaseActionError``) with a message for the person who
tried, and leaves everything as it was. Messages never carry content.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.cases import rules as case_rules
from ombud.cases.models import Case, Status
from ombud.cases.services import work
from ombud.cases.services.access import case_key
from ombud.decisions import rules
from ombud.decisions.models import Approval, Consequence, Decision
from ombud.decisions.services import banlist

TEXT_LIMIT = work.TEXT_LIMIT
IDENTITY_LIMIT = 200
# What a decision seals: the reasoning, what each side is told, who the respondent is.
TEXT_FIELDS = ("reasoning", "to_respondent", "to_reporter")
IDENTITY_FIELDS = ("name", "badge", "email")


class DecisionRefused(work.CaseActionError):
    """A decision action that cannot be taken; the message says why, without content."""


def _locked_case(case) -> Case:
    return Case.objects.select_for_update().select_related("event").get(pk=case.pk)


def _locked_decision(decision) -> Decision:
    return Decision.objects.select_for_update().select_related("case__event").get(pk=decision.pk)


def _refuse(reason: str) -> None:
    if reason:
        raise DecisionRefused(reason)


def _require_case_worker(user, case) -> None:
    if not rules.works_cases(user, case.event):
        raise DecisionRefused(_("Only the event's response team can do that."))


def _require_open_case(case) -> None:
    if case.status == Status.CLOSED:
        raise DecisionRefused(_("This case is closed. Reopen it before deciding anything."))


def _refuse_if_decided(case) -> None:
    if case.status == Status.DECIDED or case.decisions.filter(state=Decision.State.FINAL).exists():
        raise DecisionRefused(_("This case already has a final decision."))


def _check_texts(texts: dict, identity: dict) -> tuple[dict, dict]:
    texts = {name: (texts.get(name) or "").strip() for name in TEXT_FIELDS}
    identity = {name: (identity.get(name) or "").strip() for name in IDENTITY_FIELDS}
    if not texts["reasoning"]:
        raise DecisionRefused(_("Write down the reasoning for the decision."))
    if any(len(value) > TEXT_LIMIT for value in texts.values()) or any(
        len(value) > IDENTITY_LIMIT for value in identity.values()
    ):
        raise DecisionRefused(_("Some of the text is too long."))
    return texts, identity


@transaction.atomic
def propose(
    case,
    *,
    by,
    consequence: str,
    texts: dict,
    identity: dict,
    ban_until=None,
    show_to_reporter: bool = False,
) -> Decision:
    """A proposed decision; it becomes final once the event's rule is met (``make_final``)."""
    case = _locked_case(case)
    _refuse(rules.why_not_propose(by, case, list(case.decisions.all())))
    if consequence not in Consequence.values:
        raise DecisionRefused(_("Choose a consequence."))
    texts, identity = _check_texts(texts, identity)
    if consequence == Consequence.BAN:
        if not banlist.has_identity(**identity):
            raise banlist_refusal()
        if ban_until is not None and ban_until <= timezone.localdate(timezone=case.event.zone):
            raise DecisionRefused(_("A ban for a period must end after today."))
    else:
        ban_until = None
    decision = Decision(
        case=case,
        consequence=consequence,
        ban_until=ban_until,
        shown_to_reporter=bool(show_to_reporter),
        proposed_by=by,
        proposed_at=timezone.now(),
    )
    decision.sealed = case_key(case, by).seal(
        "decision", decision.pk, {**texts, "respondent": identity}
    )
    decision.save(force_insert=True)
    audit.record(by, "decision.proposed", decision, event_id=case.event_id)
    return decision


def banlist_refusal() -> DecisionRefused:
    return DecisionRefused(str(banlist.NoIdentity()))


@transaction.atomic
def approve(decision, *, by) -> Approval:
    decision = _locked_decision(decision)
    case = decision.case
    _refuse(rules.why_not_approve(by, decision, list(decision.approvals.all())))
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                decision=decision,
                by=by,
                as_lead=case_rules.is_lead(by, case.event),
                at=timezone.now(),
            )
    except IntegrityError:  # the same person, twice at once
        raise DecisionRefused(_("You have already approved this decision.")) from None
    audit.record(by, "decision.approved", decision, event_id=case.event_id)
    return approval


@transaction.atomic
def make_final(decision, *, by, expected_version: int) -> Decision:
    """The rule is met: the decision becomes final and the case moves to "decided"."""
    decision = _locked_decision(decision)
    case = _locked_case(decision.case)
    _require_case_worker(by, case)
    _require_open_case(case)
    if decision.state == Decision.State.WITHDRAWN:
        raise DecisionRefused(_("This proposal was withdrawn."))
    _refuse_if_decided(case)
    rule = rules.rule_for(case.event, decision.consequence)
    if not rules.is_satisfied(rule, rules.standing(decision, decision.approvals.all())):
        raise DecisionRefused(_("Not enough approvals yet. %(rule)s") % {"rule": rule.describe()})
    if not rules.may_make_final(by, case):
        raise DecisionRefused(_("Only the response team makes a decision final."))
    now = timezone.now()
    if decision.is_ban:
        content = case_key(case, by).open("decision", decision.pk, decision.sealed)
        try:
            banlist.enter(
                decision,
                content.get("respondent", {}),
                organisation_id=case.event.organisation_id,
                expires_on=decision.ban_until,
                at=now,
            )
        except banlist.NoIdentity:
            raise banlist_refusal() from None
    # Raises CaseActionError or StaleCase, which roll all of this back.
    work.change_status(
        case, Status.DECIDED, by=by, expected_version=expected_version, by_decision=True
    )
    Decision.objects.filter(pk=decision.pk).update(
        state=Decision.State.FINAL, closed_by=by, closed_at=now
    )
    decision.refresh_from_db()
    audit.record(by, "decision.made_final", decision, event_id=case.event_id)
    return decision


@transaction.atomic
def withdraw(decision, *, by) -> Decision:
    decision = _locked_decision(decision)
    _require_case_worker(by, decision.case)
    if decision.state != Decision.State.PROPOSED:
        raise DecisionRefused(_("Only a proposal that is not final yet can be withdrawn."))
    if not rules.may_withdraw(by, decision):
        raise DecisionRefused(_("Only the proposer or an incident lead can withdraw a proposal."))
    Decision.objects.filter(pk=decision.pk).update(
        state=Decision.State.WITHDRAWN, closed_by=by, closed_at=timezone.now()
    )
    decision.refresh_from_db()
    audit.record(by, "decision.withdrawn", decision, event_id=decision.case.event_id)
    return decision
