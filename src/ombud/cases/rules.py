"""Named permission rules for case work, each defined once.

Whether someone reaches a case at all is the door's to decide
(``services.access``); these decide what someone who may read it may do.
Services refuse with a rule's reason, views and the API call the same
services, and templates read ``case_permissions`` (built from these same
rules), so no rule is written twice or lives in a template.

A ``why_not_*`` rule returns the reason for a refusal, or "" when allowed; its
``may_*`` twin says yes or no.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ombud.cases.models import Status
from ombud.cases.queries import cases_visible_to
from ombud.events.models import OrganiserAdmin
from ombud.staff.models import CASE_ROLES, Membership, Role
from ombud.staff.queries import membership_for


def role_in(user, event) -> str | None:
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.acknowledged().filter(user=user, event=event).only("role").first()
    )
    return membership.role if membership else None


def is_lead(user, event) -> bool:
    return role_in(user, event) == Role.LEAD


def works_cases(user, event) -> bool:
    return role_in(user, event) in CASE_ROLES


def is_organiser_admin(user, event) -> bool:
    return (
        user.is_authenticated
        and OrganiserAdmin.objects.filter(organisation_id=event.organisation_id, user=user).exists()
    )


# Which role may move a case into each status. Leads close, decide and reopen.
STATUS_CHANGERS = {
    Status.ACKNOWLEDGED: {Role.RESPONDER, Role.LEAD},
    Status.INVESTIGATING: {Role.RESPONDER, Role.LEAD},
    Status.DECIDED: {Role.LEAD},
    Status.CLOSED: {Role.LEAD},
}
REOPEN_ROLES = {Role.LEAD}


def may_set_status(role: str | None, current: str, target: str) -> bool:
    if current == Status.CLOSED:
        return role in REOPEN_ROLES
    return role in STATUS_CHANGERS.get(target, set())


def owner_left(case) -> bool:
    """The owner can no longer work the case (left the event, lost the role, recused)."""
    return bool(case.owner_id) and not cases_visible_to(case.owner).filter(pk=case.pk).exists()


def why_not_take(user, case) -> str:
    """Taking the case oneself: when nobody owns it, its owner left, or as a lead."""
    role = role_in(user, case.event)
    if role not in CASE_ROLES:
        return _("Only the response team can own cases.")
    if case.owner_id == user.pk:
        return _("The case is yours already.")
    if case.owner_id and role != Role.LEAD and not owner_left(case):
        return _("Only an incident lead can give a case to someone else or take it over.")
    return ""


def may_take(user, case) -> bool:
    return not why_not_take(user, case)


def why_not_assign(user, case, assignee) -> str:
    """Giving the case to someone else is a lead's; anyone on the team may take it."""
    if assignee.pk == user.pk:
        return why_not_take(user, case)
    role = role_in(user, case.event)
    if role not in CASE_ROLES:
        return _("Only the response team can own cases.")
    if role != Role.LEAD:
        return _("Only an incident lead can give a case to someone else or take it over.")
    return ""


def may_assign(user, case) -> bool:
    """May give the case to others (the page offers the choice)."""
    return is_lead(user, case.event)


def why_not_add_helper(user, case) -> str:
    if role_in(user, case.event) != Role.LEAD and case.owner_id != user.pk:
        return _("The case's owner or an incident lead adds helpers.")
    return ""


def may_add_helper(user, case) -> bool:
    return not why_not_add_helper(user, case)


def why_not_work_on(user, case) -> str:
    """Recording on a case: safety steps, accounts, who was reported, links, categories,
    interim actions and their review."""
    if not works_cases(user, case.event):
        return _("Only the event's response team can do that.")
    return ""


def why_not_review_interim(user, action) -> str:
    if action.by_id == user.pk:
        return _("Someone else on the team reviews what you did on the spot.")
    return why_not_work_on(user, action.case)


def may_export(user, case) -> bool:
    """The printable (and JSON) case summary: the case's leads only, audited."""
    return is_lead(user, case.event)


def may_see_access_log(user, case) -> bool:
    return is_lead(user, case.event)


def may_see_repeat_reports(user, case) -> bool:
    """Other reports about the same person, across the organisation's events: leads."""
    return is_lead(user, case.event)


def leads(membership) -> bool:
    """The membership is an incident lead's, on the roster and put on duty: for pages
    that have a person's memberships already (``staff.queries.memberships_of``)."""
    return (
        membership is not None
        and membership.active
        and membership.is_acknowledged
        and membership.is_lead
    )


def may_retry_alerts_in(membership) -> bool:
    """Leads send a dead-lettered alert about their event's cases again (the cases of
    it they may see)."""
    return leads(membership)


def may_retry_alert(user, event) -> bool:
    return may_retry_alerts_in(membership_for(user, event))


def may_see_event_overview(user, event) -> bool:
    return is_lead(user, event)


def may_see_turned_away(user, event) -> bool:
    """How many messages the event's channels did not file, and why: its incident leads."""
    return is_lead(user, event)


def may_see_handover(user, event) -> bool:
    return works_cases(user, event)


def may_confirm_keys(user, event) -> bool:
    """Vouch that a case worker's key is theirs (vault.trust): the event's leads and the
    organisation's admins, who put people on its response team."""
    return is_lead(user, event) or is_organiser_admin(user, event)


def may_manage_categories(user, event) -> bool:
    return is_lead(user, event) or is_organiser_admin(user, event)


@dataclass(frozen=True)
class CasePermissions:
    """What the case page offers one reader: the rules above, asked once per page."""

    role: str | None
    is_lead: bool
    may_take: bool
    may_assign: bool
    may_add_helper: bool
    may_export: bool
    may_see_access_log: bool
    may_see_repeat_reports: bool
    may_manage_categories: bool


def case_permissions(user, case) -> CasePermissions:
    role = role_in(user, case.event)
    return CasePermissions(
        role=role,
        is_lead=role == Role.LEAD,
        may_take=may_take(user, case),
        may_assign=may_assign(user, case),
        may_add_helper=may_add_helper(user, case),
        may_export=may_export(user, case),
        may_see_access_log=may_see_access_log(user, case),
        may_see_repeat_reports=may_see_repeat_reports(user, case),
        may_manage_categories=may_manage_categories(user, case.event),
    )
