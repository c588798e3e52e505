"""Writing a case's timeline, and showing it to one reader.

Entries hold no content. One kind names another case (a link): the entry keeps
only that case's id, and ``shown_to`` names it to a reader who may see it and
leaves the entry out for anyone else, so neither a code name nor the existence
of a case reaches someone kept away from it.
"""

from django.utils import timezone

from ombud.cases.models import TimelineEntry
from ombud.cases.queries import cases_visible_to


def add(case, kind, *, actor=None, by_reporter=False, at=None, **detail) -> TimelineEntry:
    return TimelineEntry.objects.create(
        case=case,
        at=at or timezone.now(),
        kind=kind,
        actor=actor,
        by_reporter=by_reporter,
        detail=detail,
    )


def shown_to(viewer, entries) -> list[TimelineEntry]:
    """The entries ``viewer`` may see, with ``shown_detail`` set: a link only to a case
    they may see, with its code name (``describe`` reads it)."""
    entries = list(entries)
    linked = {e.detail.get("other_id") for e in entries if e.kind == TimelineEntry.Kind.LINKED} - {
        None
    }
    names = dict(
        cases_visible_to(viewer).filter(pk__in=linked).values_list("pk", "code_name")
        if linked
        else ()
    )
    names = {str(pk): name for pk, name in names.items()}
    shown = []
    for entry in entries:
        detail = dict(entry.detail)
        if entry.kind == TimelineEntry.Kind.LINKED:
            detail["other"] = names.get(detail.pop("other_id", None))
            if detail["other"] is None:
                continue
        entry.shown_detail = detail
        shown.append(entry)
    return shown
