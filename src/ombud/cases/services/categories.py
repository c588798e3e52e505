"""Each event's kinds of incident, and which a case is about."""

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.cases import rules
from ombud.cases.models import Case, Category, TimelineEntry
from ombud.cases.services import timeline
from ombud.cases.services.work import CaseActionError, bump, refuse

MAX_CATEGORIES = 40


def add_defaults(event) -> None:
    Category.objects.bulk_create(
        Category(event=event, name=str(name), position=n)
        for n, name in enumerate(Category.DEFAULTS)
    )


@transaction.atomic
def set_for_event(event, names: list[str], *, by) -> list[str]:
    """The event's categories become ``names``, in that order. A category still given
    to a case is kept (listed last) rather than taken from it; those are returned."""
    if not rules.may_manage_categories(by, event):
        raise CaseActionError(
            _("Only the event's incident leads and organisers set its categories.")
        )
    wanted = list(dict.fromkeys(n.strip()[:80] for n in names if n.strip()))
    if len(wanted) > MAX_CATEGORIES:
        raise CaseActionError(_("At most %(n)d categories, please.") % {"n": MAX_CATEGORIES})
    existing = {c.name: c for c in Category.objects.select_for_update().filter(event=event)}
    for position, name in enumerate(wanted):
        category = existing.get(name) or Category(event=event, name=name)
        category.position = position
        category.save()
    kept = []
    for name, category in existing.items():
        if name in wanted:
            continue
        if category.cases.exists():
            category.position = len(wanted) + len(kept)
            category.save(update_fields=["position"])
            kept.append(name)
        else:
            category.delete()
    audit.record(by, "event.categories_changed", event, event_id=event.pk)
    return kept


@transaction.atomic
def set_for_case(case: Case, category_ids, *, by, expected_version: int | None = None) -> None:
    refuse(rules.why_not_work_on(by, case))
    chosen = list(Category.objects.filter(event=case.event, pk__in=list(category_ids)))
    if len(chosen) != len(set(category_ids)):
        raise CaseActionError(_("Choose among this event's categories."))
    if expected_version is not None:
        bump(case, expected_version)  # the whole set is replaced: no lost update
    case.categories.set(chosen)
    timeline.add(case, TimelineEntry.Kind.CATEGORIES, actor=by, names=[c.name for c in chosen])
    audit.record(by, "case.categories_set", case, event_id=case.event_id)


def counts(event, cases) -> list[tuple]:
    """(category, open cases, all cases) among ``cases`` (what the viewer may see)."""
    return [
        (category.name, category.open_count, category.all_count)
        for category in Category.objects.filter(event=event).annotate(
            all_count=Count("cases", filter=Q(cases__in=cases)),
            open_count=Count("cases", filter=Q(cases__in=cases) & ~Q(cases__status="closed")),
        )
    ]
