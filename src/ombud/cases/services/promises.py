"""What the response team promised each event's reporters, and which cases are past it.

Two promises, set per event: acknowledge a report within ``ack_promise_hours``
during the event (``ack_promise_hours_after`` once it is over), and give the
reporter a decision or an update within ``update_promise_days``, again and again
until the case is closed. Overdue cases are flagged on the dashboard, and the
owner and the event's leads are reminded once per missed promise through their
alert channels.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from ombud.cases.models import Case, Message, Recusal, Status
from ombud.cases.services import alerts
from ombud.cases.services.recusal import tag_for
from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage
from ombud.staff.models import Membership, Role

BATCH = 100


@dataclass(frozen=True)
class Overdue:
    what: str  # "acknowledge" or "update"
    due: datetime


def with_last_update(cases):
    """Annotate each case with its last message to a reporter (one query for a list)."""
    return cases.annotate(
        last_update=Max(
            "messages__created_at",
            filter=Q(messages__direction=Message.Direction.TO_REPORTER),
        )
    )


def attach_last_update(cases: list) -> list:
    """Set ``last_update`` on a page of cases already fetched (one query)."""
    last = dict(
        Message.objects.filter(
            case__in=[c.pk for c in cases], direction=Message.Direction.TO_REPORTER
        )
        .values("case")
        .annotate(at=Max("created_at"))
        .values_list("case", "at")
    )
    for case in cases:
        case.last_update = last.get(case.pk)
    return cases


def _ack_due(case) -> datetime:
    event = case.event
    during = case.created_at <= event.ends_at()
    hours = event.ack_promise_hours if during else event.ack_promise_hours_after
    return case.created_at + timedelta(hours=hours)


def overdue(case, now=None) -> Overdue | None:
    """The promise this case has missed, if any (needs ``with_last_update``)."""
    now = now or timezone.now()
    if case.status == Status.CLOSED:
        return None
    if case.status == Status.NEW:
        due = _ack_due(case)
        return Overdue("acknowledge", due) if now > due else None
    since = getattr(case, "last_update", None) or case.created_at
    due = since + timedelta(days=case.event.update_promise_days)
    return Overdue("update", due) if now > due else None


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
    open_cases = with_last_update(
        Case.objects.exclude(status=Status.CLOSED).select_related("event__organisation", "owner")
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
