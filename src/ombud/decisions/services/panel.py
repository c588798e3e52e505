"""The decision panel of a case page, opened for one reader (decrypted per request)."""

from dataclasses import dataclass, field

from ombud.cases.models import Status
from ombud.cases.services.access import case_key
from ombud.decisions import rules
from ombud.decisions.models import Appeal, Decision
from ombud.decisions.services import appeals


@dataclass
class AppealView:
    appeal: Appeal
    grounds: str
    review: str
    reviewers: list
    may_review: bool


@dataclass
class DecisionView:
    decision: Decision
    content: dict
    approvals: list
    comments: list  # (at, text)
    rule: rules.Rule
    satisfied: bool
    appeal: AppealView | None = None
    ban: object = None
    may_approve: bool = False
    may_make_final: bool = False
    may_withdraw: bool = False
    may_appeal: bool = False

    @property
    def respondent(self) -> dict:
        return self.content.get("respondent", {})


@dataclass
class Panel:
    decisions: list = field(default_factory=list)  # newest first
    may_propose: bool = False
    why_not: str = ""
    rules: dict = field(default_factory=dict)


def build(case, user) -> Panel:
    """``case`` came through the door (``cases.services.access``)."""
    decisions = list(
        case.decisions.select_related("proposed_by", "closed_by")
        .prefetch_related("approvals__by")
        .order_by("-proposed_at")
    )
    event_rules = rules.rules_for(case.event)
    works = rules.works_cases(user, case.event)
    why_not = rules.why_not_propose(user, case, decisions)
    panel = Panel(may_propose=not why_not, why_not=why_not if works else "", rules=event_rules)
    if not decisions:
        return panel
    key = case_key(case, user)
    appeal_of = {
        a.decision_id: a
        for a in Appeal.objects.filter(decision__in=decisions).select_related(
            "recorded_by", "reviewed_by"
        )
    }
    for decision in decisions:
        decision.case = case
        approvals = list(decision.approvals.all())
        rule = event_rules[decision.consequence]
        satisfied = rules.is_satisfied(rule, rules.standing(decision, approvals))
        proposed = decision.state == Decision.State.PROPOSED
        is_final = decision.state == Decision.State.FINAL
        view = DecisionView(
            decision=decision,
            content=key.open("decision", decision.pk, decision.sealed),
            approvals=approvals,
            comments=[
                (c.at, key.open("decision-comment", c.pk, c.sealed)["text"])
                for c in decision.comments.all()
            ],
            rule=rule,
            satisfied=satisfied,
            ban=getattr(decision, "ban", None) if decision.is_ban else None,
        )
        if proposed and works and case.status != Status.CLOSED:
            view.may_approve = not rules.why_not_approve(user, decision, approvals)
            view.may_make_final = satisfied and rules.may_make_final(user, case)
            view.may_withdraw = rules.may_withdraw(user, decision)
        appeal = appeal_of.get(decision.pk)
        if is_final and appeal is None:
            view.may_appeal = works
        if appeal is not None:
            view.appeal = AppealView(
                appeal=appeal,
                grounds=key.open("appeal", appeal.pk, appeal.sealed)["grounds"],
                review=(
                    key.open("appeal-review", appeal.pk, appeal.sealed_review)["text"]
                    if appeal.sealed_review
                    else ""
                ),
                reviewers=(
                    appeals.eligible_reviewers(decision)
                    if appeal.outcome == Appeal.Outcome.PENDING
                    else []
                ),
                may_review=appeal.outcome == Appeal.Outcome.PENDING
                and rules.may_review(user, decision),
            )
        panel.decisions.append(view)
    return panel
