"""Who drafts and publishes transparency reports, defined once."""

from ombud.events.models import OrganiserAdmin
from ombud.staff.models import Membership, Role


def may_manage_event_report(user, event) -> bool:
    """The event's incident leads: they answer for its reports and know what the
    numbers mean. Not responders, not another event's leads."""
    if not user.is_authenticated:
        return False
    return Membership.objects.acknowledged().filter(event=event, user=user, role=Role.LEAD).exists()


def may_manage_organisation_report(user, organisation) -> bool:
    """The organisation's admins: the year's report speaks for the whole organisation,
    beyond any one event's leads. It holds numbers only, never report content."""
    if not user.is_authenticated:
        return False
    return OrganiserAdmin.objects.filter(organisation=organisation, user=user).exists()


def may_manage(user, report) -> bool:
    if report.event_id:
        return may_manage_event_report(user, report.event)
    return may_manage_organisation_report(user, report.organisation)
