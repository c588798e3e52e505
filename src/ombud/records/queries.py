"""Which of an organisation's cases a lead sees on its records pages."""

from ombud.cases.queries import cases_visible_to
from ombud.events.models import Event, Organisation
from ombud.staff.models import Membership, Role


def led_events(user, organisation):
    led = Membership.objects.acknowledged().filter(user=user, role=Role.LEAD)
    return Event.objects.filter(organisation=organisation, pk__in=led.values("event"))


def organisations_led_by(user):
    if not user.is_authenticated:
        return Organisation.objects.none()
    led = Membership.objects.acknowledged().filter(user=user, role=Role.LEAD)
    return Organisation.objects.filter(events__in=led.values("event")).distinct()


def retention_cases(user, organisation):
    """Cases of events the user leads that they may see (recusals apply, as everywhere)."""
    return cases_visible_to(user).filter(event__in=led_events(user, organisation))
