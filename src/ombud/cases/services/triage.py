"""A flood's triage, by the event's incident leads: its near-identical new reports in
groups (by fingerprint band, cases.fingerprint), a group marked as junk in one action,
a case put back in the queue when it was not junk.

Junk is kept: sealed, counted, following retention like any case; it leaves the
queues, its pending alerts are cancelled and its escalation stops. Its reporter
loses nothing: the receipt works as before, and anything they add puts the case back
in the queue and alerts the team (services.reporter).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.cases import fingerprint, rules
from ombud.cases.models import Case, Escalation, Report, Status, TimelineEntry
from ombud.cases.queries import cases_visible_to
from ombud.cases.services.work import CaseActionError, refuse
from ombud.notify.coalesce import HELD_KINDS
from ombud.notify.models import OutboxMessage

# How far back a triage looks, and at most how many reports it reads.
LOOK_BACK = timedelta(hours=24)
READ_LIMIT = 20_000
SAMPLE = 3


@dataclass
class Group:
    key: str  # "<band>:<value>", what marking it as junk names
    first_at: datetime
    last_at: datetime
    case_ids: list = field(default_factory=list)
    sample: list = field(default_factory=list)  # the first few cases, to open one and look

    @property
    def size(self) -> int:
        return len(self.case_ids)


def why_not_triage(user, event) -> str | None:
    if not rules.is_lead(user, event):
        return _("Only the event's incident leads triage a flood.")
    return None


def _key(band: tuple[int, str]) -> str:
    return f"{band[0]}:{band[1]}"


def _components(rows: list) -> list[list[int]]:
    """Indexes of ``rows`` grouped: two reports sharing any band are in one group."""
    parent = list(range(len(rows)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict = {}
    for index, (_case, _at, value) in enumerate(rows):
        for band in fingerprint.bands(value):
            other = first_with.setdefault(band, index)
            parent[root(index)] = root(other)
    found: dict = {}
    for index in range(len(rows)):
        found.setdefault(root(index), []).append(index)
    return [members for members in found.values() if len(members) >= 2]


def groups(event, viewer, *, up_to: datetime) -> list[Group]:
    """The viewer's new, untriaged cases received up to ``up_to`` in groups of
    near-identical reports (two or more), largest first."""
    rows = list(
        Report.objects.filter(
            event=event,
            case__in=cases_visible_to(viewer),
            case__status=Status.NEW,
            case__junk_at__isnull=True,
            received_at__gt=up_to - LOOK_BACK,
            received_at__lte=up_to,
        )
        .exclude(fingerprint="")
        .order_by("received_at")
        .values_list("case_id", "received_at", "fingerprint")[:READ_LIMIT]
    )
    counts = Counter(band for _case, _at, value in rows for band in fingerprint.bands(value))
    listed = []
    for members in _components(rows):
        shared = {b for i in members for b in fingerprint.bands(rows[i][2]) if counts[b] >= 2}
        group = Group(_key(min(shared)), first_at=rows[members[0]][1], last_at=rows[members[-1]][1])
        group.case_ids = list(dict.fromkeys(rows[i][0] for i in members))
        listed.append(group)
    listed.sort(key=lambda g: (-g.size, g.first_at))
    first_few = {case_id for g in listed for case_id in g.case_ids[:SAMPLE]}
    cases = Case.objects.in_bulk(first_few)
    for group in listed:
        group.sample = [cases[case_id] for case_id in group.case_ids[:SAMPLE]]
    return listed


def junk(event, viewer, *, limit: int = 50) -> tuple[int, list]:
    """How many of the viewer's cases at the event are marked as junk, and the latest."""
    marked = cases_visible_to(viewer).filter(event=event, junk_at__isnull=False)
    return marked.count(), list(marked.order_by("-junk_at")[:limit])


def mark_junk(event, key: str, *, up_to: datetime, by) -> int:
    """Mark the group ``key`` (as ``groups`` found it up to ``up_to``) as junk: exactly the
    cases the lead saw in it, less any that changed meanwhile."""
    refuse(why_not_triage(by, event))
    now = timezone.now()
    if timezone.is_naive(up_to) or not now - LOOK_BACK <= up_to <= now + timedelta(minutes=5):
        raise CaseActionError(_("The page was out of date: look at the groups again."))
    chosen = next((g for g in groups(event, by, up_to=up_to) if g.key == key), None)
    if chosen is None:
        raise CaseActionError(_("That group is gone: marked already, or its cases changed."))
    with transaction.atomic():
        still = Case.objects.filter(pk__in=chosen.case_ids, status=Status.NEW, junk_at__isnull=True)
        ids = list(still.values_list("pk", flat=True))
        Case.objects.filter(pk__in=ids).update(
            junk_at=now, version=F("version") + 1, updated_at=now
        )
        Escalation.objects.filter(case_id__in=ids, stopped_at__isnull=True).update(
            stopped_at=now, stopped_by=by, next_at=None
        )
        OutboxMessage.objects.filter(
            subject_id__in=ids, kind__in=HELD_KINDS, state=OutboxMessage.State.PENDING
        ).update(
            state=OutboxMessage.State.CANCELLED,
            held=False,
            recipient=None,
            channel=None,
            address="",
            context={},
        )
        TimelineEntry.objects.bulk_create(
            TimelineEntry(case_id=pk, at=now, kind=TimelineEntry.Kind.JUNK, actor=by) for pk in ids
        )
        for case in Case.objects.filter(pk__in=ids).only("pk", "event_id"):
            audit.record(by, "case.marked_junk", case, event_id=event.pk)
    return len(ids)


def not_junk(case: Case, *, by) -> Case:
    """Back in the queue: it was a real report after all. Escalation resumes if nobody
    has acknowledged it."""
    refuse(why_not_triage(by, case.event))
    now = timezone.now()
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, junk_at__isnull=False).update(
            junk_at=None, version=F("version") + 1, updated_at=now
        ):
            raise CaseActionError(_("This case is not marked as junk."))
        put_back(case, now)
        TimelineEntry.objects.create(case=case, at=now, kind=TimelineEntry.Kind.NOT_JUNK, actor=by)
        audit.record(by, "case.not_junk", case, event_id=case.event_id)
    case.refresh_from_db()
    return case


def put_back(case: Case, now) -> None:
    """A case leaving the junk: if still unacknowledged, its alert ladder climbs again."""
    if case.status == Status.NEW:
        Escalation.objects.filter(case=case).update(stopped_at=None, stopped_by=None, next_at=now)
