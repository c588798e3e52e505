from django.utils import timezone

from ombud.staff.models import Membership, Role

_PUBLIC_ORDER = {Role.LEAD: 0, Role.RESPONDER: 1, Role.STAFF: 2, Role.DESK: 3}


def membership_for(user, event) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.active().filter(user=user, event=event).select_related("event").first()
    )


def memberships_of(user):
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.active().filter(user=user).select_related("event", "event__organisation")
    )


def briefing_roster(event):
    """Whom a briefing's attendance list shows: the event's active staff."""
    return (
        Membership.objects.filter(event=event, active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


def on_duty_publicly(event, at=None) -> list[Membership]:
    """Who the event page lists: on duty now, acknowledged, and agreed to be listed."""
    members = (
        Membership.objects.on_duty(at or timezone.now())
        .filter(event=event, shown_publicly=True)
        .select_related("user")
    )
    return sorted(members, key=lambda m: (_PUBLIC_ORDER[m.role], str(m.user)))


def leads_to_call(event, *, public_only: bool) -> list[Membership]:
    """The event's incident leads with a phone number, for its printables: on the
    public poster only those who agreed to be listed publicly."""
    leads = (
        Membership.objects.active()
        .filter(event=event, role=Role.LEAD)
        .exclude(phone="")
        .select_related("user")
    )
    if public_only:
        leads = leads.filter(shown_publicly=True)
    return sorted(leads, key=lambda m: str(m.user))
