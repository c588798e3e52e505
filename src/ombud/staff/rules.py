"""Who may manage what on an event's roster, defined once."""

from ombud.events.models import OrganiserAdmin
from ombud.staff.models import Membership, Role


def _is_organiser_admin(user, event) -> bool:
    return OrganiserAdmin.objects.filter(organisation_id=event.organisation_id, user=user).exists()


def _lead_or_organiser_admin(user, event) -> bool:
    if not user.is_authenticated:
        return False
    if _is_organiser_admin(user, event):
        return True
    return Membership.objects.acknowledged().filter(event=event, user=user, role=Role.LEAD).exists()


def may_manage_rota(user, event) -> bool:
    """Leads of the event and the organisation's admins edit the duty rota."""
    return _lead_or_organiser_admin(user, event)


def may_print_poster(user, event) -> bool:
    """Leads of the event and the organisation's admins print the venue's posters."""
    return _lead_or_organiser_admin(user, event)


def may_print_pocket_card(user, event) -> bool:
    """Everyone on the event's staff prints their own pocket card (it lists the incident
    leads' phone numbers); the organisation's admins print them for everyone."""
    if not user.is_authenticated:
        return False
    if _is_organiser_admin(user, event):
        return True
    return Membership.objects.active().filter(event=event, user=user).exists()


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
