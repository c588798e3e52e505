"""Floods: when an event's reports arrive far faster than usual, or many are near
duplicates of each other, the event is in a flood. Alerts are then grouped
(notify.coalesce asks ``subjects``), escalation does not climb for the duplicates,
and the event's leads triage the queue (services.triage).

An event floods when, within ``SPAN``, it receives at least ``FLOOD_REPORTS``
reports and at least ``FLOOD_FACTOR`` times its usual rate over the past day, or
when ``FLOOD_DUPLICATES`` reports within ``GROUP_SPAN`` share a fingerprint band
(cases.fingerprint). It stays in the flood until both fall back under half.
Opening and ending a flood are in the audit log; nothing of any report is.
"""

import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases import fingerprint
from ombud.cases.models import Escalation, Flood, Report, TimelineEntry
from ombud.cases.services.alerts import TOP_LEVEL
from ombud.db import rows as db_rows
from ombud.events.models import Event

SPAN = timedelta(minutes=5)
GROUP_SPAN = timedelta(minutes=10)
BASELINE = timedelta(days=1)
# A flood's reports are read in full for grouping; past this they are sampled newest first.
READ_LIMIT = 20_000
# One look per event per worker every few seconds is enough: floods last minutes.
_CACHE_SECONDS = 2.0
_seen: dict[int, tuple[float, "Recent"]] = {}


@dataclass(frozen=True)
class Recent:
    """An event's recent reports as flood detection sees them: counts and fingerprints."""

    in_span: int
    usual_per_span: float
    bands: Counter
    flood: Flood | None

    def duplicate(self, value: str) -> bool:
        """Whether a report with this fingerprint is one of many near-identical ones."""
        return any(
            self.bands[band] >= settings.FLOOD_DUPLICATES for band in fingerprint.bands(value)
        )

    def largest_group(self) -> int:
        return max(self.bands.values(), default=0)


def _rising(in_span: int, usual: float, largest: int) -> bool:
    fast = in_span >= settings.FLOOD_REPORTS and in_span >= settings.FLOOD_FACTOR * usual
    return fast or largest >= settings.FLOOD_DUPLICATES


def _receding(in_span: int, usual: float, largest: int) -> bool:
    fast = in_span >= settings.FLOOD_REPORTS / 2 and in_span >= settings.FLOOD_FACTOR * usual / 2
    return not fast and largest < settings.FLOOD_DUPLICATES / 2


def look(event_id: int, now) -> Recent:
    """The event's recent reports, opening or ending its flood as they say."""
    reports = Report.objects.filter(event_id=event_id)
    recent = list(
        reports.filter(received_at__gt=now - GROUP_SPAN, received_at__lte=now)
        .order_by("-received_at")
        .values_list("received_at", "fingerprint")[:READ_LIMIT]
    )
    in_span = sum(1 for at, _value in recent if at > now - SPAN)
    earlier = reports.filter(received_at__gt=now - BASELINE, received_at__lte=now - SPAN).count()
    usual = earlier / (BASELINE / SPAN)
    bands = Counter(band for _at, value in recent for band in fingerprint.bands(value))
    largest = max(bands.values(), default=0)
    flood = Flood.objects.filter(event_id=event_id, ended_at__isnull=True).first()
    if flood is None and _rising(in_span, usual, largest):
        flood = _open(event_id, now, in_span)
    elif flood is not None and _receding(in_span, usual, largest):
        _end(flood, now)
        flood = None
    elif flood is not None and in_span > flood.peak:
        Flood.objects.filter(pk=flood.pk).update(peak=in_span)
    return Recent(in_span, usual, bands, flood)


def look_cached(event_id: int, now) -> Recent:
    seen = _seen.get(event_id)
    if seen is not None and time.monotonic() - seen[0] < _CACHE_SECONDS:
        return seen[1]
    recent = look(event_id, now)
    _seen[event_id] = (time.monotonic(), recent)
    return recent


def _open(event_id: int, now, in_span: int) -> Flood | None:
    try:
        with transaction.atomic():
            flood = Flood.objects.create(event_id=event_id, started_at=now, peak=in_span)
            audit.record(Actor.system(), "flood.started", flood, event_id=event_id)
    except IntegrityError:  # another worker opened it first
        return Flood.objects.filter(event_id=event_id, ended_at__isnull=True).first()
    return flood


def _end(flood: Flood, now) -> None:
    with transaction.atomic():
        if Flood.objects.filter(pk=flood.pk, ended_at__isnull=True).update(ended_at=now):
            audit.record(Actor.system(), "flood.ended", flood, event_id=flood.event_id)


def watch(now=None) -> int:
    """The worker's round: look at every event on now or lately (a flood opens within
    seconds, not only when its alerts are next planned) and at every open flood (it ends
    when its reports recede). Returns how many floods are open."""
    now = now or timezone.now()
    recent = Event.objects.filter(ends_on__gte=(now - timedelta(days=7)).date())
    watched = set(recent.values_list("pk", flat=True))
    watched |= set(Flood.objects.filter(ended_at__isnull=True).values_list("event_id", flat=True))
    opened = 0
    for event_id in watched:
        recent_reports = look(event_id, now)
        _seen[event_id] = (time.monotonic(), recent_reports)
        opened += recent_reports.flood is not None
    return opened


def end_quiet_floods(now=None) -> int:
    """The worker's round: floods whose reports have receded end (no alert needs to come)."""
    now = now or timezone.now()
    ended = 0
    for event_id in Flood.objects.filter(ended_at__isnull=True).values_list("event_id", flat=True):
        if look(event_id, now).flood is None:
            _seen.pop(event_id, None)
            ended += 1
    return ended


def pause_duplicates(now=None) -> int:
    """The worker's round: during a flood, the alert ladder of its near-identical reports
    stops (the leads were told of the flood and triage it), so escalation does not
    multiply the flood. A case put back from the junk, by a lead or by its reporter
    writing again, is left to climb (services.triage.put_back)."""
    now = now or timezone.now()
    paused = 0
    for event_id in Flood.objects.filter(ended_at__isnull=True).values_list("event_id", flat=True):
        recent = look_cached(event_id, now)
        # Read outside the write lock. The window's reports are walked by index each
        # round, but only those whose ladder still climbs come back to be fingerprinted.
        candidates = (
            Report.objects.filter(
                _climbing(escalation="case__escalation__"),
                event_id=event_id,
                received_at__gt=now - GROUP_SPAN,
                received_at__lte=now,
            )
            .order_by("-received_at")  # past READ_LIMIT, the newest, as look() reads
            .values_list("case_id", "fingerprint")[:READ_LIMIT]
        )
        duplicates = [case_id for case_id, value in candidates if recent.duplicate(value)]
        for start in range(0, len(duplicates), PAUSE_BATCH):
            paused += _pause(duplicates[start : start + PAUSE_BATCH], now)
    return paused


# Ladders stopped per write transaction: a flood's thousands in one would hold the write
# lock long enough to stall every report being filed meanwhile.
PAUSE_BATCH = 50


def _climbing(escalation: str = "") -> Q:
    """Ladders still climbing that nobody has put back from the junk (``escalation``:
    the path to it from the model queried; both have a ``case``)."""
    return Q(**{f"{escalation}stopped_at__isnull": True, f"{escalation}level__lt": TOP_LEVEL}) & ~Q(
        case__timeline__kind=TimelineEntry.Kind.NOT_JUNK
    )


def _pause(case_ids: list, now) -> int:
    with transaction.atomic():
        # Again under the lock: a lead may have put a case back since it was read.
        climbing = Escalation.objects.filter(_climbing(), case_id__in=case_ids)
        if connection.vendor == "postgresql":
            # Another worker pausing the same ladders: each is paused, and told, once.
            climbing = climbing.select_for_update(skip_locked=True)
        ids = list(climbing.values_list("case_id", flat=True))
        Escalation.objects.filter(case_id__in=ids).update(stopped_at=now, next_at=None)
        TimelineEntry.objects.bulk_create(
            TimelineEntry(case_id=pk, at=now, kind=TimelineEntry.Kind.ESCALATION_PAUSED)
            for pk in ids
        )
    return len(ids)


def open_floods(events) -> dict:
    """event id -> its open flood (with ``events``' own event), for the banners; a
    prepared query (db.rows): the dashboard asks on every view."""
    events = {event.pk: event for event in events}
    if not events:
        return {}
    marks, params = db_rows.keys(Flood, "event", list(events))
    found = db_rows.select(Flood, f"t.ended_at IS NULL AND t.event_id IN ({marks})", params)
    for flood in found:
        flood.event = events[flood.event_id]
    return {flood.event_id: flood for flood in found}


@dataclass(frozen=True)
class Subject:
    """What grouping alerts needs to know about the case an alert is about."""

    event_id: int
    urgent: bool
    duplicate: bool  # one of many near-identical reports in a flood
    flooding: bool
    junk: bool


def subjects(case_ids, now=None) -> dict:
    """case id -> Subject, for the cases a batch of alerts is about."""
    now = now or timezone.now()
    rows = (
        Report.objects.filter(case_id__in=list(case_ids))
        .order_by("received_at")
        .values_list(
            "case_id", "event_id", "fingerprint", "danger_now", "case__urgent", "case__junk_at"
        )
    )
    found = {}
    for case_id, event_id, value, danger, urgent, junk_at in rows:
        if case_id in found:
            continue  # the first report of a case says what it is
        recent = look_cached(event_id, now)
        flooding = recent.flood is not None
        found[case_id] = Subject(
            event_id=event_id,
            urgent=bool(danger or urgent),
            duplicate=flooding and recent.duplicate(value),
            flooding=flooding,
            junk=junk_at is not None,
        )
    return found


def forget() -> None:
    """Drop what this process remembers (tests, and a worker told the clock moved)."""
    _seen.clear()
