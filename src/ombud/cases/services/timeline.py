from django.utils import timezone

from ombud.cases.models import TimelineEntry


def add(case, kind, *, actor=None, by_reporter=False, at=None, **detail) -> TimelineEntry:
    return TimelineEntry.objects.create(
        case=case,
        at=at or timezone.now(),
        kind=kind,
        actor=actor,
        by_reporter=by_reporter,
        detail=detail,
    )
