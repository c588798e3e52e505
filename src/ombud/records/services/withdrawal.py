"""A reporter withdraws their report through the receipt.

What it does, as the page tells them first: the report's content is destroyed now
(crypto-shredded, as at the end of its retention) and the team is told, without
content. What stays: the metadata-only record (event, dates, channel, category,
outcome), and a decision already taken: a ban in force stays on the ban list
(keyed digests only, as always) until it ends, and with it the case's metadata
until its retention passes. An open case is closed by the withdrawal.

The receipt keeps finding the case, to say "withdrawn" and nothing else, until its
retention passes (``purge.finish_withdrawn``).
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases.models import Case, Recusal, Report, Status, TimelineEntry
from ombud.cases.services import alerts, timeline
from ombud.cases.services.recusal import tag_for
from ombud.decisions.models import Decision
from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage
from ombud.records.services import expiry, shred
from ombud.staff import roster
from ombud.vault import receipts


class UnknownReceipt(Exception):
    """No report answers to this receipt (answered like any unknown receipt)."""


def find(receipt_text: str) -> Report:
    receipt = receipts.normalise(receipt_text)
    if receipt is None:
        raise UnknownReceipt
    report = (
        Report.objects.select_related("case__event")
        .filter(receipt_digest=receipts.digest(receipt))
        .first()
    )
    if report is None or not receipts.matches(report.receipt_digest, receipt):
        raise UnknownReceipt
    return report


def withdrawn_event(receipt_text: str):
    """The event of a withdrawn report this receipt finds (all it may still show), or None."""
    try:
        report = find(receipt_text)
    except UnknownReceipt:
        return None
    return report.case.event if report.case.expunge_rule == expiry.WITHDRAWN else None


def decision_stays(case) -> bool:
    """A decision already taken stays in force after a withdrawal (with its metadata)."""
    return Decision.objects.filter(case=case, state=Decision.State.FINAL).exists()


def _leads_to_tell(case, at) -> list:
    """The event's incident leads who are not kept away from the case (before its
    recusals are shredded with it)."""
    members = roster.load(case.event).members
    tags = set(Recusal.objects.filter(case=case).values_list("user_tag", flat=True))
    recused = {m.user_id for m in members if tag_for(m.user_id) in tags}
    chosen = alerts.people_at_level(
        case.event, members, recused, level=alerts.TOP_LEVEL - 1, urgent=False, at=at
    )
    return alerts.targets(case.event, chosen, level=alerts.TOP_LEVEL - 1)


@transaction.atomic
def withdraw(receipt_text: str, *, now=None) -> Case:
    now = now or timezone.now()
    report = find(receipt_text)
    case = Case.objects.select_for_update().select_related("event").get(pk=report.case_id)
    if case.expunged_at is not None:
        return case  # withdrawn already (a resent form)
    told = _leads_to_tell(case, now)
    if case.status != Status.CLOSED:
        moved = {"from": case.status, "to": Status.CLOSED}
        timeline.add(case, TimelineEntry.Kind.STATUS_CHANGED, at=now, by_reporter=True, **moved)
        Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, closed_at=now)
        case.refresh_from_db()
    shred.shred(
        case,
        rule=expiry.WITHDRAWN,
        now=now,
        keep_receipt=True,
        today=expiry.today_for(case, now),
    )
    notify.queue(
        OutboxMessage.Kind.REPORT_WITHDRAWN,
        told,
        event_name=case.event.name,
        path=reverse("cases:dashboard"),
        language=case.event.default_language,
    )
    audit.record(Actor.reporter(), "report.withdrawn", report, event_id=case.event_id)
    return case
