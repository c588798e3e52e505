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


def may_change_identity(user, person) -> bool:
    """Organiser admins change the name and e-mail of people who work only for them.

    An e-mail address is where password links go: someone who also staffs another
    organisation's events, or runs one, is not theirs to redirect.
    """
    if not user.is_authenticated or person.is_superuser:
        return False
    managed = set(
        OrganiserAdmin.objects.filter(user=user).values_list("organisation_id", flat=True)
    )
    theirs = set(
        Membership.objects.filter(user=person).values_list("event__organisation_id", flat=True)
    )
    theirs |= set(
        OrganiserAdmin.objects.filter(user=person).values_list("organisation_id", flat=True)
    )
    return bool(theirs) and theirs <= managed
