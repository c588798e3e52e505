"""Who is alerted about a case, and how loudly, until someone acknowledges it.

The ladder (each step after the event's acknowledgement window, shorter for
urgent reports):

1. at once: leads and responders on duty, by their primary channel (urgent:
   every acknowledged staff member on duty too);
2. every responder on duty, by every channel they set up;
3. every lead, by their primary channel;
4. every lead by every channel, and the organisation's fallback contact.

Recusal applies at every step: a recused person is never alerted, even when
they are the last one left; then the fallback contact is.
"""

import functools
import uuid
from datetime import timedelta

from django.db import transaction
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from ombud.audit import services as audit
from ombud.cases.models import Case, Recusal
from ombud.cases.services.recusal import tag_for
from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage
from ombud.staff import roster
from ombud.staff.models import Role

TOP_LEVEL = 4


def people_at_level(event, people, recused: set[int], *, level: int, urgent: bool, at) -> dict:
    """user id -> account e-mail of whoever the ladder reaches at this level."""
    chosen = {}
    for person in people:
        if person.user_id in recused or not person.acknowledged(event):
            continue
        on_duty = person.on_duty(event, at)
        if level == 1:
            wanted = person.role == Role.LEAD or (
                on_duty and (person.role == Role.RESPONDER or urgent)
            )
        elif level == 2:
            wanted = on_duty and person.role == Role.RESPONDER
        else:
            wanted = person.role == Role.LEAD
        if wanted:
            chosen[person.user_id] = person.email
    return chosen


def every_channel(level: int) -> bool:
    return level in (2, TOP_LEVEL)


def targets(event, chosen: dict, *, level: int) -> list[tuple]:
    """(user id, address, channel id) to queue; the fallback contact if nobody is left."""
    found = notify.reach(chosen, every_channel=every_channel(level)) if chosen else []
    fallback = event.organisation.fallback_contact_email
    if fallback and (not found or level == TOP_LEVEL):
        found.append((None, fallback))
    return found


def recipients(event, people, recused: set[int], *, urgent: bool, at=None) -> list[tuple]:
    """Who the first alert of a new case goes to, and through which channel."""
    at = at or timezone.now()
    chosen = people_at_level(event, people, recused, level=1, urgent=urgent, at=at)
    return targets(event, chosen, level=1)


def window(case) -> timedelta:
    event = case.event
    return timedelta(minutes=event.urgent_ack_minutes if case.urgent else event.ack_minutes)


# Any id: the case page's path is worked out once per URLconf and script prefix with it
# in place, then only the id changes (reverse() costs more than a report's alert rows).
_ANY_CASE = uuid.UUID(int=0)


@functools.lru_cache(maxsize=8)
def _case_path_around(resolver, prefix: str) -> tuple[str, str]:
    path = reverse("cases:detail", urlconf=resolver.urlconf_name, args=[_ANY_CASE])
    before, _any, after = path.partition(str(_ANY_CASE))
    return before, after


def case_path(case) -> str:
    # The resolver, not the setting: Django makes a new one when the URLconf changes.
    before, after = _case_path_around(get_resolver(get_urlconf()), get_script_prefix())
    return f"{before}{uuid.UUID(str(case.pk))}{after}"  # an id or an error, as reverse()


def new_case_alerts(case, found) -> list[OutboxMessage]:
    """Unsaved outbox rows for a new case (saved in the case's transaction)."""
    kind = OutboxMessage.Kind.URGENT_REPORT if case.urgent else OutboxMessage.Kind.NEW_REPORT
    return notify.outbox_rows(
        kind,
        found,
        event_name=case.event.name,
        path=case_path(case),
        subject_id=case.pk,
        language=case.event.default_language,
    )


def escalation_alerts(case, found) -> list[OutboxMessage]:
    return notify.outbox_rows(
        OutboxMessage.Kind.ESCALATION,
        found,
        event_name=case.event.name,
        path=case_path(case),
        subject_id=case.pk,
        language=case.event.default_language,
    )


def alert_made_urgent(case, people, recused: set[int], *, at) -> int:
    """A case becomes urgent (a voicemail left on it): marked so, and its first alert goes
    out again as an urgent one, as for a new urgent report."""
    Case.objects.filter(pk=case.pk).update(urgent=True)
    case.urgent = True
    found = recipients(case.event, people, recused, urgent=True, at=at)
    notify.save(new_case_alerts(case, found))
    return len(found)


def alert_reporter_added(case, recused: set[int]) -> int:
    event = case.event
    chosen = people_at_level(
        event, roster.load(event).members, recused, level=1, urgent=False, at=timezone.now()
    )
    found = targets(event, chosen, level=1)
    notify.queue(
        OutboxMessage.Kind.REPORTER_ADDED,
        found,
        event_name=event.name,
        path=case_path(case),
        subject_id=case.pk,
        language=event.default_language,
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


@transaction.atomic
def retry(message, case, *, by) -> None:
    """Send a dead-lettered alert about ``case`` again, from its first attempt."""
    OutboxMessage.objects.filter(pk=message.pk, state=OutboxMessage.State.DEAD).update(
        state=OutboxMessage.State.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
    )
    audit.record(by, "alert.retried", message, event_id=case.event_id)
