"""The respondent's appeal, recorded by staff on their behalf, and its review by
people who took no part in the decision."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.cases.queries import cases_visible_to
from ombud.cases.services.access import case_key
from ombud.decisions import rules
from ombud.decisions.models import Appeal, BanEntry, Decision
from ombud.decisions.services.decide import TEXT_LIMIT, DecisionRefused
from ombud.staff.models import Membership


def _text(text: str, missing: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DecisionRefused(missing)
    if len(text) > TEXT_LIMIT:
        raise DecisionRefused(
            _("That is too long: at most %(limit)d characters.") % {"limit": TEXT_LIMIT}
        )
    return text


@transaction.atomic
def record(decision, grounds: str, *, by) -> Appeal:
    decision = (
        Decision.objects.select_for_update().select_related("case__event").get(pk=decision.pk)
    )
    case = decision.case
    if not rules.works_cases(by, case.event):
        raise DecisionRefused(_("Only the event's response team can do that."))
    if decision.state != Decision.State.FINAL:
        raise DecisionRefused(_("Only a final decision can be appealed."))
    if Appeal.objects.filter(decision=decision).exists():
        raise DecisionRefused(_("This decision has already been appealed."))
    grounds = _text(grounds, _("Write down the respondent's grounds for the appeal."))
    appeal = Appeal(decision=decision, recorded_by=by, recorded_at=timezone.now())
    appeal.sealed = case_key(case, by).seal("appeal", appeal.pk, {"grounds": grounds})
    try:
        with transaction.atomic():
            appeal.save(force_insert=True)
    except IntegrityError:
        raise DecisionRefused(_("This decision has already been appealed.")) from None
    audit.record(by, "appeal.recorded", appeal, event_id=case.event_id)
    return appeal


@transaction.atomic
def review(appeal, outcome: str, reasoning: str, *, by) -> Appeal:
    appeal = (
        Appeal.objects.select_for_update().select_related("decision__case__event").get(pk=appeal.pk)
    )
    decision = appeal.decision
    case = decision.case
    if outcome not in (Appeal.Outcome.UPHELD, Appeal.Outcome.OVERTURNED):
        raise DecisionRefused(_("Choose whether the decision is upheld or overturned."))
    if appeal.outcome != Appeal.Outcome.PENDING:
        raise DecisionRefused(_("This appeal has already been reviewed."))
    if not rules.may_review(by, decision):
        raise DecisionRefused(
            _(
                "You took part in this decision: the appeal must be reviewed by a lead "
                "or responder who did not propose, approve or finalise it."
            )
        )
    reasoning = _text(reasoning, _("Write down the reasoning for the review."))
    now = timezone.now()
    appeal.sealed_review = case_key(case, by).seal("appeal-review", appeal.pk, {"text": reasoning})
    appeal.outcome = outcome
    appeal.reviewed_by = by
    appeal.reviewed_at = now
    appeal.save(update_fields=["sealed_review", "outcome", "reviewed_by", "reviewed_at"])
    if outcome == Appeal.Outcome.OVERTURNED:
        BanEntry.objects.filter(decision=decision, lifted_at__isnull=True).update(lifted_at=now)
    audit.record(by, "appeal.reviewed", appeal, event_id=case.event_id)
    return appeal


def eligible_reviewers(decision) -> list:
    """Leads and responders of the event who took no part and may see the case."""
    involved = rules.involved_in(decision)
    members = (
        Membership.objects.acknowledged()
        .case_workers()
        .filter(event_id=decision.case.event_id)
        .exclude(user_id__in=involved)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    people = []
    for membership in members:
        if cases_visible_to(membership.user).filter(pk=decision.case_id).exists():
            people.append(membership.user)
    return people


def users_by_id(ids) -> dict:
    return get_user_model().objects.in_bulk([i for i in ids if i])
