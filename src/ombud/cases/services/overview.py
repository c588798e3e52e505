"""An event at a glance for its leads, and what the next shift needs to know.

Both count and list only the cases the viewer may see: a case someone is
recused from is never shown or counted to them. What happened on a case is
shown only once they may read it (declared no conflict of interest). Reports
marked as junk in a flood's triage are counted on the triage page, not here.
"""

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from ombud.cases.models import Status, TimelineEntry
from ombud.cases.queries import cases_visible_to
from ombud.cases.services import access, promises, team, timeline

HANDOVER_HOURS = 12


def _queue(event, viewer):
    return cases_visible_to(viewer).filter(event=event, junk_at__isnull=True)


def overview(event, viewer) -> dict:
    cases = _queue(event, viewer)
    by_status = dict(cases.values_list("status").annotate(n=Count("pk")))
    open_cases = list(
        promises.with_last_update(cases.exclude(status=Status.CLOSED)).select_related(
            "event__organisation", "owner"
        )
    )
    now = timezone.now()
    overdue = [c for c in open_cases if promises.overdue(c, now)]
    return {
        "by_status": [(label, by_status.get(value, 0)) for value, label in Status.choices],
        "open": len(open_cases),
        "urgent": sum(1 for c in open_cases if c.urgent),
        "unowned": [c for c in open_cases if c.owner_id is None],
        "overdue": overdue,
        "to_review": list(team.interim_actions_awaiting_review(cases)),
    }


def handover(event, viewer, *, hours: int = HANDOVER_HOURS) -> dict:
    """What happened on the cases during the last shift, case by case, and what is open."""
    since = timezone.now() - timedelta(hours=hours)
    cases = _queue(event, viewer)
    # What happened on a case is the case's: only for cases the viewer may read now.
    entries = (
        TimelineEntry.objects.filter(case__in=access.readable_cases(viewer), at__gte=since)
        .filter(case__event=event, case__junk_at__isnull=True)
        .select_related("case", "actor")
        .order_by("case__code_name", "at", "pk")
    )
    by_case: dict = {}
    for entry in timeline.shown_to(viewer, entries):
        by_case.setdefault(entry.case, []).append(entry)
    open_cases = list(
        promises.with_last_update(cases.exclude(status=Status.CLOSED))
        .select_related("event__organisation", "owner")
        .order_by("-urgent", "created_at")
    )
    now = timezone.now()
    for case in open_cases:
        case.overdue = promises.overdue(case, now)
    readable = set(access.readable_cases(viewer).filter(event=event).values_list("pk", flat=True))
    return {
        "since": since,
        "hours": hours,
        "happened": list(by_case.items()),
        "to_declare": [case for case in open_cases if case.pk not in readable],
        "open_cases": open_cases,
        "to_review": list(team.interim_actions_awaiting_review(cases)),
    }
