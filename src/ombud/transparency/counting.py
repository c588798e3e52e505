"""What a transparency report counts, read from the clear metadata of cases only.

The unit is the case: several reports about one incident, filed into one case,
count once, so that every table splits the same total and the relations between
tables are exact (``suppression``). A case counts under

- the event it belongs to, and the calendar year the event starts in;
- its category, "several categories" or "not categorised" (one row each, so the
  rows sum to the total);
- the channel of its first report;
- its outcome: the final decision's consequence, "closed without a decision",
  or "open".

Times run from the case's creation (its first report) to the first time it was
acknowledged, and to its final decision, in hours. No sealed field, code name,
person or date is read.
"""

import math
import statistics
from dataclasses import dataclass, field

from ombud.cases.models import Case, Channel, Report, Status, TimelineEntry
from ombud.decisions.models import Consequence, Decision
from ombud.events.models import Event

SEVERAL = "several"
NONE = "none"
CLOSED_NO_DECISION = "closed_no_decision"
OPEN = "open"
OUTCOMES = (*Consequence.values, CLOSED_NO_DECISION, OPEN)


@dataclass
class Counts:
    """One table's true numbers, before suppression."""

    categories: tuple  # the category names, in the event's order
    cells: dict = field(default_factory=dict)  # (dimension, key) -> count
    ack_hours: list = field(default_factory=list)
    decision_hours: list = field(default_factory=list)


def family_events(organisation_id, year) -> list[Event]:
    """The events of one organisation-year, oldest first."""
    return list(
        Event.objects.filter(organisation_id=organisation_id, starts_on__year=year).order_by(
            "starts_on", "pk"
        )
    )


def _empty(categories) -> Counts:
    counts = Counts(categories=tuple(categories))
    counts.cells[("total", "")] = 0
    for name in (*categories, SEVERAL, NONE):
        counts.cells[("category", name)] = 0
    for channel in Channel.values:
        counts.cells[("channel", channel)] = 0
    for outcome in OUTCOMES:
        counts.cells[("outcome", outcome)] = 0
    return counts


def _hours(start, end) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def _facts(ids) -> tuple[dict, dict, dict, dict]:
    """Per case: category names, first channel, first acknowledgement, final decision."""
    given = {}
    for case_id, name in Case.categories.through.objects.filter(case__event_id__in=ids).values_list(
        "case_id", "category__name"
    ):
        given.setdefault(case_id, []).append(name)
    first_channel = {}
    for case_id, channel in (
        Report.objects.filter(event_id__in=ids)
        .order_by("received_at", "pk")
        .values_list("case_id", "channel")
    ):
        first_channel.setdefault(case_id, channel)
    acknowledged = {}
    for case_id, at, detail in (
        TimelineEntry.objects.filter(case__event_id__in=ids, kind=TimelineEntry.Kind.STATUS_CHANGED)
        .order_by("at", "pk")
        .values_list("case_id", "at", "detail")
    ):
        if (detail or {}).get("to") == Status.ACKNOWLEDGED:
            acknowledged.setdefault(case_id, at)
    decided = {
        case_id: (consequence, at)
        for case_id, consequence, at in Decision.objects.filter(
            case__event_id__in=ids, state=Decision.State.FINAL
        ).values_list("case_id", "consequence", "closed_at")
    }
    return given, first_channel, acknowledged, decided


def _category(names: list) -> str:
    if len(names) == 1:
        return names[0]
    return SEVERAL if names else NONE


def count_events(events) -> dict[int, Counts]:
    """Event pk -> its numbers (a handful of queries, whatever the number of cases)."""
    ids = [e.pk for e in events]
    counts = {e.pk: _empty(list(e.categories.values_list("name", flat=True))) for e in events}
    given, first_channel, acknowledged, decided = _facts(ids)
    cases = Case.objects.filter(event_id__in=ids).values_list(
        "pk", "event_id", "status", "created_at"
    )
    for case_id, event_id, status, created_at in cases:
        table = counts[event_id]
        table.cells[("total", "")] += 1
        table.cells[("category", _category(given.get(case_id, [])))] += 1
        # A case is filed with its first report; a missing one would count as the web form.
        table.cells[("channel", first_channel.get(case_id, Channel.WEB))] += 1
        if case_id in decided:
            consequence, at = decided[case_id]
            table.cells[("outcome", consequence)] += 1
            if at:
                table.decision_hours.append(_hours(created_at, at))
        else:
            closed = status == Status.CLOSED
            table.cells[("outcome", CLOSED_NO_DECISION if closed else OPEN)] += 1
        if case_id in acknowledged:
            table.ack_hours.append(_hours(created_at, acknowledged[case_id]))
    return counts


def combine(parts: list[Counts]) -> Counts:
    """The organisation-year's numbers: the sum of its events' (categories by name)."""
    names = list(dict.fromkeys(name for part in parts for name in part.categories))
    total = _empty(names)
    for part in parts:
        for key, value in part.cells.items():
            total.cells[key] += value
        total.ack_hours += part.ack_hours
        total.decision_hours += part.decision_hours
    return total


def rounded_hours(hours: float) -> int:
    """Whole hours, half up; 0 reads "less than an hour"."""
    return math.floor(hours + 0.5)


def times(hours: list, threshold: int) -> dict | None:
    """Median and 90th percentile (nearest rank: always a real case's time), in whole
    hours, or None when fewer cases than the threshold would be described."""
    if len(hours) < threshold:
        return None
    ordered = sorted(hours)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    return {"median": rounded_hours(statistics.median(ordered)), "p90": rounded_hours(p90)}
