"""Who may do what with an organisation's records, defined once."""

from ombud.cases import rules as case_rules
from ombud.events.models import OrganiserAdmin
from ombud.records import queries


def may_edit_policy(user, organisation) -> bool:
    """The retention policy is an organisation setting: its organiser admins set it."""
    return (
        user.is_authenticated
        and OrganiserAdmin.objects.filter(organisation=organisation, user=user).exists()
    )


def may_see_purges(user, organisation) -> bool:
    """The purge preview and the purge itself: incident leads of the organisation's events."""
    return user.is_authenticated and queries.led_events(user, organisation).exists()


def may_extend(user, case) -> bool:
    """Keeping a case longer than the policy says: its event's incident leads."""
    return case_rules.is_lead(user, case.event)
