"""Who may manage what on an event's roster, defined once."""

from ombud.events.models import OrganiserAdmin
from ombud.staff.models import Membership, Role


def may_manage_rota(user, event) -> bool:
    """Leads of the event and the organisation's admins edit the duty rota."""
    if not user.is_authenticated:
        return False
    if OrganiserAdmin.objects.filter(organisation_id=event.organisation_id, user=user).exists():
        return True
    return Membership.objects.acknowledged().filter(event=event, user=user, role=Role.LEAD).exists()
