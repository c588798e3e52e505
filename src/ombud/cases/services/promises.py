"""What the response team promised each event's reporters, and which cases are past it.

Two promises, set per event: acknowledge a report within ``ack_promise_hours``
during the event (``ack_promise_hours_after`` once it is over), and give the
reporter a decision or an update within ``update_promise_days``, again and again
until the case is closed. Overdue cases are flagged on the dashboard, and the
owner and the event's leads are reminded once per missed promise through their
alert channels.

An organisation may also keep the EU whistleblowing directive's deadlines
(Directive (EU) 2019/1937, Art. 9(1)(b) and (f)): acknowledge within 7 days, give
feedback within 3 months. The directive counts the 3 months from the
acknowledgement of receipt; every reporter gets a receipt the moment the report
is stored, so they are counted from the report's arrival. A missed legal deadline
is flagged and reminded on its own, even when the event's promise was missed
(and reminded) before it.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Case, Message, Recusal, Status
from ombud.cases.services import alerts
from ombud.cases.services.recusal import tag_for
from ombud.db import rows as db_rows
from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage
from ombud.staff.models import Membership, Role

BATCH = 100


EU_ACKNOWLEDGE = timedelta(days=7)
EU_FEEDBACK_MONTHS = 3

# What each deadline is, on the case page and in the API's schema.
LABELS = {
    "acknowledge": _("Acknowledge the report (the event's promise)"),
    "update": _("Next update to the reporter (the event's promise)"),
    "legal_acknowledge": _("Acknowledge the report (EU whistleblowing directive)"),
    "legal_feedback": _("Feedback to the reporter (EU whistleblowing directive)"),
}
# The same, missed, as a dashboard badge.
BADGES = {
    "acknowledge": _("acknowledgement overdue"),
    "update": _("reporter update overdue"),
    "legal_acknowledge": _("legal deadline missed: acknowledgement"),
    "legal_feedback": _("legal deadline missed: feedback"),
}


@dataclass(frozen=True)
class Overdue:
    # "acknowledge" or "update" (the event's promises), "legal_acknowledge" or
    # "legal_feedback" (the EU directive's deadlines)
    what: str
    due: datetime

    @property
    def legal(self) -> bool:
        return self.what.startswith("legal_")


@dataclass(frozen=True)
class Deadline:
    what: str  # as Overdue.what
    due: datetime
    met: bool

    @property
    def legal(self) -> bool:
        return self.what.startswith("legal_")

    @property
    def label(self) -> str:
        return LABELS[self.what]

    def missed(self, now) -> bool:
        return not self.met and now > self.due


def with_last_update(cases):
    """Annotate each case with its last message to a reporter (one query for a list)."""
    return cases.annotate(
        last_update=Max(
            "messages__created_at",
            filter=Q(messages__direction=Message.Direction.TO_REPORTER),
        )
    )


def attach_last_update(cases: list) -> list:
    """Set ``last_update`` on a page of cases already fetched (one query, prepared: the
    ORM would cost several times what the database does)."""
    last: dict = {}
    if cases:
        marks, params = db_rows.keys(Message, "case", [c.pk for c in cases])
        where = f"t.direction = %s AND t.case_id IN ({marks})"
        sent = [Message.Direction.TO_REPORTER, *params]
        last = db_rows.latest(Message, "case", "created_at", where, sent)
    for case in cases:
        case.last_update = last.get(case.pk)
    return cases


def _ack_due(case) -> datetime:
    return case.created_at + timedelta(hours=case.event.ack_promise_hours_at(case.created_at))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_later(when: datetime, months: int, zone) -> datetime:
    """The same local time ``months`` calendar months on (the 31st becomes the month's last day)."""
    local = when.astimezone(zone)
    day = add_months(local.date(), months)
    return local.replace(year=day.year, month=day.month, day=day.day)


def _keeps_eu_deadlines(case) -> bool:
    return case.event.organisation.eu_directive_deadlines


def deadlines(case) -> list[Deadline]:
    """Every deadline the case has now, met or not (needs ``with_last_update``): the
    event's promises, then the directive's where the organisation keeps them."""
    found = []
    acknowledged = case.status != Status.NEW
    last_update = getattr(case, "last_update", None)
    if case.status == Status.CLOSED:
        pass
    elif not acknowledged:
        found.append(Deadline("acknowledge", _ack_due(case), met=False))
    else:
        since = last_update or case.created_at
        due = since + timedelta(days=case.event.update_promise_days)
        found.append(Deadline("update", due, met=False))
    if _keeps_eu_deadlines(case):
        found.append(
            Deadline("legal_acknowledge", case.created_at + EU_ACKNOWLEDGE, met=acknowledged)
        )
        feedback_due = months_later(case.created_at, EU_FEEDBACK_MONTHS, case.event.zone)
        met = last_update is not None or case.status == Status.CLOSED
        found.append(Deadline("legal_feedback", feedback_due, met=met))
    return found


def overdue(case, now=None) -> Overdue | None:
    """The promise this case has missed, if any (needs ``with_last_update``); a missed
    legal deadline before a missed promise of the event's."""
    now = now or timezone.now()
    missed = [d for d in deadlines(case) if d.missed(now)]
    if not missed:
        return None
    first = max(missed, key=lambda d: (d.legal, d.due))
    return Overdue(first.what, first.due)


def _people_to_remind(case) -> dict:
    """The owner and the event's leads who may read the case: user id -> e-mail."""
    recused = set(Recusal.objects.filter(case=case).values_list("user_tag", flat=True))
    leads = (
        Membership.objects.acknowledged()
        .filter(event=case.event, role=Role.LEAD, user__is_active=True)
        .select_related("user")
    )
    people = {m.user_id: m.user.email for m in leads}
    if case.owner_id and case.owner.is_active:
        people[case.owner_id] = case.owner.email
    return {uid: email for uid, email in people.items() if tag_for(uid) not in recused}


def remind_due(now=None) -> int:
    """Queue one content-free reminder per case per missed promise; the worker runs it."""
    now = now or timezone.now()
    # Reports marked as junk in a flood's triage promise nobody anything (until put back).
    open_cases = with_last_update(
        Case.objects.exclude(status=Status.CLOSED)
        .filter(junk_at__isnull=True)
        .select_related("event__organisation", "owner")
    ).order_by("created_at")
    reminded = 0
    for case in open_cases.iterator():
        missed = overdue(case, now)
        if missed is None or case.reminded_for == missed.due:
            continue
        with transaction.atomic():
            # Another worker may have reminded it meanwhile: claim the reminder first.
            claimed = Case.objects.filter(pk=case.pk).exclude(reminded_for=missed.due)
            if not claimed.update(reminded_for=missed.due):
                continue
            found = notify.reach(_people_to_remind(case), every_channel=False)
            notify.queue(
                OutboxMessage.Kind.OVERDUE,
                found,
                event_name=case.event.name,
                path=alerts.case_path(case),
                subject_id=case.pk,
                language=case.event.default_language,
            )
        reminded += 1
        if reminded >= BATCH:
            break
    return reminded
