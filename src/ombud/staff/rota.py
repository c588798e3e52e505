"""The duty rota: who is on duty when, gaps in cover, importing shifts from CSV."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.staff.models import CASE_ROLES, DutyShift, Membership

MIN_GAP = timedelta(minutes=1)
CSV_LIMIT = 2000


@dataclass(frozen=True)
class Gap:
    starts_at: datetime
    ends_at: datetime


def gaps(event) -> list[Gap]:
    """Stretches of the event's duty hours with no acknowledged responder or lead on shift."""
    zone = event.zone
    cover = sorted(
        DutyShift.objects.filter(
            membership__in=Membership.objects.acknowledged()
            .filter(event=event)
            .filter(role__in=CASE_ROLES)
        ).values_list("starts_at", "ends_at")
    )
    found = []
    day = event.starts_on
    while day <= event.ends_on:
        start = datetime.combine(day, event.duty_hours_start, tzinfo=zone)
        end = datetime.combine(day, event.duty_hours_end, tzinfo=zone)
        if end <= start:  # duty hours past midnight
            end += timedelta(days=1)
        cursor = start
        for shift_start, shift_end in cover:
            if shift_end <= cursor or shift_start >= end:
                continue
            if shift_start - cursor >= MIN_GAP:
                found.append(Gap(cursor, shift_start))
            cursor = max(cursor, shift_end)
            if cursor >= end:
                break
        if end - cursor >= MIN_GAP:
            found.append(Gap(cursor, end))
        day += timedelta(days=1)
    return found


class RotaImportError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _moment(text: str, zone) -> datetime:
    value = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    if not 2000 <= value.year <= 2999:
        raise ValueError
    return timezone.make_aware(value, zone)


def import_csv(event, text: str, *, by) -> int:
    """Add shifts from ``username,starts,ends`` lines (times in the event's time zone).

    All or nothing: any bad line refuses the whole import, listing every problem.
    Each shift added is audited as one added by hand would be.
    """
    members = {
        m.user.username.casefold(): m
        for m in Membership.objects.filter(event=event).select_related("user")
    }
    rows, problems = [], []
    lines = list(csv.reader(io.StringIO(text)))
    if len(lines) > CSV_LIMIT:
        raise RotaImportError([_("At most %(n)d lines at a time.") % {"n": CSV_LIMIT}])
    for number, line in enumerate(lines, start=1):
        cells = [c.strip() for c in line]
        if not any(cells) or (number == 1 and cells and cells[0].casefold() == "username"):
            continue
        if len(cells) != 3:
            problems.append(_("Line %(n)d: expected username, starts, ends.") % {"n": number})
            continue
        username, starts, ends = cells
        member = members.get(username.casefold())
        if member is None:
            problems.append(
                _("Line %(n)d: %(user)s is not on this event's staff.")
                % {"n": number, "user": username[:150]}
            )
            continue
        try:
            start, end = _moment(starts, event.zone), _moment(ends, event.zone)
        except ValueError:
            problems.append(_("Line %(n)d: times must look like 2026-06-01 09:00.") % {"n": number})
            continue
        if end <= start:
            problems.append(_("Line %(n)d: the shift ends before it starts.") % {"n": number})
            continue
        rows.append(DutyShift(membership=member, starts_at=start, ends_at=end))
    if problems:
        raise RotaImportError(problems)
    with transaction.atomic():
        for row in rows:
            row.save()  # one by one, so each bumps the roster version like any change
            audit.record(by, "staff.shift_added", row, event_id=event.pk)
    return len(rows)


def on_duty_now(event):
    return (
        Membership.objects.on_duty(timezone.now())
        .filter(event=event)
        .select_related("user")
        .order_by("role", "user__last_name")
    )
