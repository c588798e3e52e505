"""Who is alerted about a case. Recusal applies before anyone is chosen."""

from django.urls import reverse
from django.utils import timezone

from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage
from ombud.staff.models import Membership, Role


def _recipients(case, recused: set[int], *, urgent: bool):
    """Leads always; responders on duty; for urgent reports every staff member on duty."""
    event = case.event
    acknowledged = Membership.objects.acknowledged().filter(event=event).select_related("user")
    on_duty = set(
        Membership.objects.on_duty(timezone.now()).filter(event=event).values_list("pk", flat=True)
    )
    chosen = {}
    for member in acknowledged:
        user = member.user
        if user.pk in recused or not user.email:
            continue
        if member.role == Role.LEAD or (
            member.pk in on_duty and (member.role == Role.RESPONDER or urgent)
        ):
            chosen[user.pk] = (user, user.email)
    recipients = list(chosen.values())
    fallback = event.organisation.fallback_contact_email
    if not recipients and fallback:
        recipients = [(None, fallback)]
    return recipients


def alert_new_case(case, recused: set[int]) -> int:
    kind = OutboxMessage.Kind.URGENT_REPORT if case.urgent else OutboxMessage.Kind.NEW_REPORT
    recipients = _recipients(case, recused, urgent=case.urgent)
    notify.queue(
        kind,
        recipients,
        event_name=case.event.name,
        path=reverse("cases:detail", args=[case.pk]),
    )
    return len(recipients)


def alert_reporter_added(case, recused: set[int]) -> int:
    recipients = _recipients(case, recused, urgent=False)
    notify.queue(
        OutboxMessage.Kind.REPORTER_ADDED,
        recipients,
        event_name=case.event.name,
        path=reverse("cases:detail", args=[case.pk]),
    )
    return len(recipients)
