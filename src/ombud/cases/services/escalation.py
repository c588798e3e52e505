"""Climbing the alert ladder (``services.alerts``) until someone acknowledges.

The worker calls ``escalate_due`` every few seconds; tests call it with the
time they want. Each step is written to the case's timeline.
"""

import logging

from django.db import connection, transaction
from django.utils import timezone

from ombud.cases.models import Escalation, Status, TimelineEntry
from ombud.cases.services import alerts, recusal, timeline
from ombud.notify import services as notify
from ombud.staff import roster

log = logging.getLogger(__name__)
BATCH = 50


def start(case, now) -> Escalation:
    """The unsaved escalation of a new case: level 1 is the first alert itself."""
    return Escalation(case=case, level=1, started_at=now, next_at=now + alerts.window(case))


def stop(case, *, by, now=None) -> None:
    """Someone acknowledged: nobody further is alerted."""
    now = now or timezone.now()
    stopped = Escalation.objects.filter(case=case, stopped_at__isnull=True).update(
        stopped_at=now, stopped_by=by, next_at=None
    )
    if stopped:
        timeline.add(case, TimelineEntry.Kind.ALERT_ACKNOWLEDGED, actor=by, at=now)


def people_count(found) -> int:
    return len({user_id or address for user_id, address, *_channel in found})


def _climb(escalation_id, now) -> int | None:
    with transaction.atomic():
        due = Escalation.objects.select_related("case__event__organisation").filter(
            pk=escalation_id, stopped_at__isnull=True, next_at__lte=now
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(of=("self",), skip_locked=True)
        escalation = due.first()
        if escalation is None:
            return None
        case = escalation.case
        # Marked as junk in a flood's triage: nobody needs waking for it.
        if case.status != Status.NEW or case.junk_at:
            escalation.stopped_at, escalation.next_at = now, None
            escalation.save(update_fields=["stopped_at", "next_at"])
            return None
        level = escalation.level + 1
        event = case.event
        # The event was read in this transaction: the cached roster of its version is
        # the roster now (every roster change moves the version).
        people = roster.for_event(event).members
        recused = recusal.recused_among(case, people)
        chosen = alerts.people_at_level(
            event, people, recused, level=level, urgent=case.urgent, at=now
        )
        found = alerts.targets(event, chosen, level=level)
        notify.save(alerts.escalation_alerts(case, found))
        count = people_count(found)
        timeline.add(case, TimelineEntry.Kind.ESCALATED, at=now, level=level, count=count)
        escalation.level = level
        escalation.next_at = now + alerts.window(case) if level < alerts.TOP_LEVEL else None
        escalation.save(update_fields=["level", "next_at"])
    if not count:
        log.error("case %s escalated to level %d but nobody could be alerted", case.pk, level)
    return level


def escalate_due(now=None) -> int:
    """Move every unacknowledged case whose window ran out one step up the ladder."""
    now = now or timezone.now()
    due = Escalation.objects.filter(stopped_at__isnull=True, next_at__lte=now)
    climbed = 0
    for escalation_id in due.values_list("pk", flat=True)[:BATCH]:
        if _climb(escalation_id, now) is not None:
            climbed += 1
    return climbed


def state_of(case) -> Escalation | None:
    return Escalation.objects.filter(case=case).first()
