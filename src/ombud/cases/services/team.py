"""The response team around a case: declaring no conflict (or recusing), owning
and helping, keeping people safe, and interim actions taken on the spot.

Callers pass a case they got through the door (``services.access``); who may do
what within it is decided by ``rules``.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.cases import rules
from ombud.cases.models import (
    Case,
    Declaration,
    InterimAction,
    LawEnforcement,
    Recusal,
    SafetyStep,
    TimelineEntry,
)
from ombud.cases.queries import cases_visible_to
from ombud.cases.services import recusal, timeline
from ombud.cases.services.access import case_key, upkeep_key
from ombud.cases.services.work import TEXT_LIMIT, CaseActionError, bump, clean_text, refuse
from ombud.staff.models import Membership

REASON_LIMIT = 2_000


@transaction.atomic
def declare_no_conflict(case: Case, *, by) -> Declaration:
    declaration, created = Declaration.objects.get_or_create(
        case=case, user=by, defaults={"at": timezone.now()}
    )
    if created:
        timeline.add(case, TimelineEntry.Kind.DECLARED, actor=by)
        audit.record(by, "case.declared_no_conflict", case, event_id=case.event_id)
    return declaration


@transaction.atomic
def recuse_self(case: Case, *, by) -> None:
    """A conflict of interest, declared at any time, no reason asked: the person is
    kept away from the case from now on, their key wrap included."""
    opened = upkeep_key(case, by)
    recusal.recuse(case, opened, {by.pk: Recusal.Reason.SELF})
    changes = {}
    if case.owner_id == by.pk:
        changes["owner"] = None
    if changes:
        Case.objects.filter(pk=case.pk).update(**changes, updated_at=timezone.now())
    case.helpers.remove(by)
    # Not who: the timeline is read by the team, the recusal list says it to those allowed.
    timeline.add(case, TimelineEntry.Kind.SELF_RECUSAL)
    audit.record(by, "case.recused_self", case, event_id=case.event_id)


def eligible_workers(case: Case) -> list:
    """Acknowledged case workers of the event who can open this case (not recused,
    and in the per-person mode holding a wrap): whom it can be assigned to."""
    members = (
        Membership.objects.acknowledged()
        .case_workers()
        .filter(event=case.event, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name")
    )
    return [m.user for m in members if cases_visible_to(m.user).filter(pk=case.pk).exists()]


def _may_assign(case: Case, by, assignee) -> None:
    refuse(rules.why_not_assign(by, case, assignee))
    if assignee not in eligible_workers(case):
        raise CaseActionError(
            _("%(person)s cannot work on this case (not on the team, or kept away from it).")
            % {"person": assignee}
        )


@transaction.atomic
def assign_owner(case: Case, assignee, *, by, expected_version: int | None = None) -> Case:
    """``expected_version``: the case version the page showed; a stale one is refused."""
    if case.owner_id == assignee.pk:
        return case
    _may_assign(case, by, assignee)
    if expected_version is None:
        Case.objects.filter(pk=case.pk).update(owner=assignee, updated_at=timezone.now())
    else:
        bump(case, expected_version, owner=assignee)
    case.owner = assignee
    case.helpers.remove(assignee)
    timeline.add(case, TimelineEntry.Kind.OWNER, actor=by, owner=str(assignee))
    audit.record(by, "case.owner_assigned", case, event_id=case.event_id)
    return case


@transaction.atomic
def add_helper(case: Case, helper, *, by) -> None:
    refuse(rules.why_not_add_helper(by, case))
    if helper not in eligible_workers(case):
        raise CaseActionError(
            _("%(person)s cannot work on this case (not on the team, or kept away from it).")
            % {"person": helper}
        )
    if helper.pk == case.owner_id or case.helpers.filter(pk=helper.pk).exists():
        return
    case.helpers.add(helper)
    timeline.add(case, TimelineEntry.Kind.HELPER, actor=by, helper=str(helper))
    audit.record(by, "case.helper_added", case, event_id=case.event_id)


def referral_wanted(case: Case) -> bool:
    """Did a reporter ask for security or the police to be involved?"""
    return case.reports.filter(law_enforcement=LawEnforcement.YES).exists()


@transaction.atomic
def record_safety_step(case: Case, kind: str, *, by, danger_reason: str = "") -> SafetyStep:
    """Escort offered, security informed, police contacted: each a timeline entry.

    A referral (security, police) is recorded only when the reporter asked for it,
    or with a written reason why someone is in danger now - then it overrides.
    """
    refuse(rules.why_not_work_on(by, case))
    if kind not in SafetyStep.Kind.values:
        raise CaseActionError(_("Unknown safety step."))
    danger_reason = (danger_reason or "").strip()[:REASON_LIMIT]
    override = kind in SafetyStep.REFERRALS and not referral_wanted(case)
    if override and not danger_reason:
        raise CaseActionError(
            _(
                "The reporter did not ask for security or the police. Involve them only "
                "if someone is in danger now, and say why."
            )
        )
    step = SafetyStep(case=case, kind=kind, by=by, at=timezone.now(), override=override)
    if override:
        step.sealed_reason = case_key(case, by).seal("safety", step.pk, {"reason": danger_reason})
    step.save(force_insert=True)
    timeline.add(case, TimelineEntry.Kind.SAFETY_STEP, actor=by, step=kind, override=override)
    audit.record(by, "case.safety_step", step, event_id=case.event_id)
    return step


@transaction.atomic
def record_interim_action(case: Case, text: str, *, by) -> InterimAction:
    refuse(rules.why_not_work_on(by, case))
    text = clean_text(text)[:TEXT_LIMIT]
    action = InterimAction(case=case, by=by, at=timezone.now())
    action.sealed = case_key(case, by).seal("interim", action.pk, {"text": text})
    action.save(force_insert=True)
    timeline.add(case, TimelineEntry.Kind.INTERIM_ACTION, actor=by)
    audit.record(by, "case.interim_action", action, event_id=case.event_id)
    return action


@transaction.atomic
def review_interim_action(case: Case, action_id, *, by) -> InterimAction:
    """Someone else on the team looks at what was done on the spot."""
    action = case.interim_actions.select_for_update().filter(pk=action_id).first()
    if action is None:
        raise CaseActionError(_("That interim action is not part of this case."))
    refuse(rules.why_not_review_interim(by, action))
    if action.reviewed_at is None:
        action.reviewed_by, action.reviewed_at = by, timezone.now()
        action.save(update_fields=["reviewed_by", "reviewed_at"])
        timeline.add(case, TimelineEntry.Kind.INTERIM_REVIEWED, actor=by)
        audit.record(by, "case.interim_reviewed", action, event_id=case.event_id)
    return action


def interim_actions_awaiting_review(cases):
    """Interim actions of these cases nobody has reviewed yet, oldest first."""
    unreviewed = InterimAction.objects.filter(reviewed_at__isnull=True)
    if not unreviewed.exists():
        # The usual answer, found without compiling who may see which case (which
        # costs the dashboard a hundred times what the query does).
        return unreviewed.none()
    # From the few unreviewed actions to their cases, not from every visible case.
    return (
        unreviewed.filter(Exists(cases.filter(pk=OuterRef("case_id"))))
        .select_related("case", "by")
        .order_by("at")
    )
