"""Who is alerted about a case. Recusal applies before anyone is chosen."""

from django.urls import reverse
from django.utils import timezone

from ombud.cases.models import Recusal
from ombud.cases.services.recusal import tag_for
from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage
from ombud.staff import roster
from ombud.staff.models import Role


def recipients(event, people, recused: set[int], *, urgent: bool, at=None) -> list:
    """(user id, address) pairs: leads always; responders on duty; for urgent
    reports every acknowledged staff member on duty. Never a recused person;
    the organisation's fallback contact when nobody else is left."""
    at = at or timezone.now()
    chosen = {}
    for person in people:
        if person.user_id in recused or not person.email or not person.acknowledged(event):
            continue
        if person.role == Role.LEAD or (
            person.on_duty(event, at) and (person.role == Role.RESPONDER or urgent)
        ):
            chosen[person.user_id] = (person.user_id, person.email)
    found = list(chosen.values())
    fallback = event.organisation.fallback_contact_email
    if not found and fallback:
        found = [(None, fallback)]
    return found


def case_path(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def new_case_alerts(case, found) -> list[OutboxMessage]:
    """Unsaved outbox rows for a new case (saved in the case's transaction)."""
    kind = OutboxMessage.Kind.URGENT_REPORT if case.urgent else OutboxMessage.Kind.NEW_REPORT
    return notify.outbox_rows(
        kind, found, event_name=case.event.name, path=case_path(case), subject_id=case.pk
    )


def alert_reporter_added(case, recused: set[int]) -> int:
    event = case.event
    found = recipients(event, roster.load(event).members, recused, urgent=False)
    notify.queue(
        OutboxMessage.Kind.REPORTER_ADDED,
        found,
        event_name=event.name,
        path=case_path(case),
        subject_id=case.pk,
    )
    return len(found)


def unwanted(messages) -> list:
    """Alerts whose recipient was recused from their case after they were queued."""
    about = {m.subject_id for m in messages if m.subject_id and m.recipient_id}
    if not about:
        return []
    recused = set(Recusal.objects.filter(case_id__in=about).values_list("case_id", "user_tag"))
    return [
        m.id
        for m in messages
        if m.subject_id and m.recipient_id and (m.subject_id, tag_for(m.recipient_id)) in recused
    ]
