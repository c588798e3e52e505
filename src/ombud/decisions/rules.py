"""Who may do what with a decision, and how many approvals each consequence needs.

Reaching a case at all is decided by ``cases.queries.cases_visible_to``; these
decide what someone who can see it may do with its decisions.
"""

from dataclasses import dataclass
from types import SimpleNamespace

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ombud.cases import rules as case_rules
from ombud.cases.models import Status
from ombud.cases.services import recusal
from ombud.decisions.models import ApprovalRule, Consequence, Decision
from ombud.staff.models import CASE_ROLES, Role


@dataclass(frozen=True)
class Rule:
    approvals: int  # besides the proposer
    lead_required: bool  # at least one of those approvals by an incident lead

    def describe(self) -> str:
        if not self.approvals:
            return _("The proposer alone decides.")
        if self.lead_required:
            return ngettext(
                "Needs %(n)d approval besides the proposer, by an incident lead.",
                "Needs %(n)d approvals besides the proposer, at least one by an incident lead.",
                self.approvals,
            ) % {"n": self.approvals}
        return ngettext(
            "Needs %(n)d approval besides the proposer.",
            "Needs %(n)d approvals besides the proposer.",
            self.approvals,
        ) % {"n": self.approvals}


DEFAULTS = {
    Consequence.NO_ACTION: Rule(0, lead_required=False),
    Consequence.VERBAL: Rule(0, lead_required=False),
    Consequence.WRITTEN: Rule(1, lead_required=False),
    Consequence.REMOVAL: Rule(2, lead_required=True),
    Consequence.BAN: Rule(2, lead_required=True),
}
MAX_APPROVALS = 5


def rules_for(event) -> dict[str, Rule]:
    """The event's rule for each consequence: its own where set, the default otherwise."""
    rules = dict(DEFAULTS)
    for row in ApprovalRule.objects.filter(event=event):
        rules[row.consequence] = Rule(row.approvals, lead_required=row.lead_required)
    return rules


def rule_for(event, consequence: str) -> Rule:
    return rules_for(event)[consequence]


def standing(decision, approvals) -> list:
    """The approvals that still count: by people who still work the case's event and
    are not recused from it, each a lead's if they are a lead now (not when they
    approved). Someone removed, demoted or since found to have a conflict does not
    carry a ban through."""
    case = decision.case
    approvals = list(approvals)
    recused = recusal.recused_among(case, approvals_as_people(approvals))
    counted = []
    for approval in approvals:
        role = case_rules.role_in(approval.by, case.event)
        if role in CASE_ROLES and approval.by_id not in recused:
            counted.append(SimpleNamespace(by_id=approval.by_id, as_lead=role == Role.LEAD))
    return counted


def approvals_as_people(approvals) -> list:
    return [SimpleNamespace(user_id=approval.by_id) for approval in approvals]


def is_satisfied(rule: Rule, approvals) -> bool:
    """``approvals``: the decision's approvals that still count (``standing``)."""
    approvals = list(approvals)
    if len(approvals) < rule.approvals:
        return False
    return not (rule.approvals and rule.lead_required and not any(a.as_lead for a in approvals))


def works_cases(user, event) -> bool:
    return case_rules.works_cases(user, event)


def _why_not_decide(user, case) -> str:
    if not works_cases(user, case.event):
        return _("Only the event's response team can do that.")
    if case.status == Status.CLOSED:
        return _("This case is closed. Reopen it before deciding anything.")
    return ""


def why_not_propose(user, case, decisions) -> str:
    """``decisions``: the case's decisions (Decision rows). "" when a proposal may be made."""
    if reason := _why_not_decide(user, case):
        return reason
    if case.status == Status.NEW:
        return _("Acknowledge the case before proposing a decision.")
    if case.status == Status.DECIDED or any(d.state == Decision.State.FINAL for d in decisions):
        return _("This case already has a final decision.")
    if any(d.state == Decision.State.PROPOSED for d in decisions):
        return _("A proposal is already waiting for approval: approve or withdraw it first.")
    return ""


def why_not_approve(user, decision, approvals) -> str:
    """``approvals``: the decision's Approval rows. "" when ``user`` may approve it."""
    if reason := _why_not_decide(user, decision.case):
        return reason
    if decision.state == Decision.State.FINAL:
        return _("This decision is already final.")
    if decision.state != Decision.State.PROPOSED:
        return _("This proposal was withdrawn.")
    if decision.proposed_by_id == user.pk:
        return _("You proposed this decision: someone else has to approve it.")
    if any(a.by_id == user.pk for a in approvals):
        return _("You have already approved this decision.")
    return ""


def may_make_final(user, case) -> bool:
    """Anyone on the response team, once the event's rule for the consequence is met:
    the rule (approvals, a lead among them) is the authority, not the finaliser."""
    return works_cases(user, case.event) and Status.DECIDED in _next_statuses(case)


def _next_statuses(case):
    from ombud.cases.services.work import TRANSITIONS  # noqa: PLC0415

    return TRANSITIONS.get(case.status, ())


def may_withdraw(user, decision) -> bool:
    return decision.proposed_by_id == user.pk or case_rules.is_lead(user, decision.case.event)


def involved_in(decision) -> set[int]:
    """Who took part in a decision: they may not review its appeal."""
    people = {decision.proposed_by_id, *(a.by_id for a in decision.approvals.all())}
    if decision.closed_by_id:
        people.add(decision.closed_by_id)
    return people


def may_review(user, decision) -> bool:
    return user.pk not in involved_in(decision) and case_rules.role_in(
        user, decision.case.event
    ) in (Role.RESPONDER, Role.LEAD)


def may_check_desk(user, event) -> bool:
    """Ask the ban list about a name or badge: the event's registration desk and leads."""
    return case_rules.role_in(user, event) in (Role.DESK, Role.LEAD)
