"""When a case is expunged: one rule, from the organisation's policy, the case's outcome
and when it closed, or a lead's extension. Open cases have no date; a permanent ban
keeps its case until the ban is lifted.

Dates are the event's own calendar days: a case closed late on the 31st in Berlin
closed on the 31st, whatever the server's clock says.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ombud.cases.models import Case, Status
from ombud.cases.services.promises import add_months
from ombud.decisions.models import BanEntry, Consequence, Decision
from ombud.records.models import RetentionExtension
from ombud.records.services.policy import policies_for

# Rule codes, stored on an expunged case (``Case.expunge_rule``) and shown in the API.
OPEN = "open"
NO_ACTION = "no_action"
WARNING = "warning"
REMOVAL = "removal"
BAN = "ban"
BAN_IN_FORCE = "ban_in_force"
EXTENDED = "extended"
WITHDRAWN = "withdrawn"
# Marked as junk in a flood's triage (cases.services.triage): kept like a case closed
# with no action, counted from the marking.
JUNK = "junk"

_BY_CONSEQUENCE = {
    Consequence.NO_ACTION: (NO_ACTION, "months_no_action"),
    Consequence.VERBAL: (WARNING, "months_warning"),
    Consequence.WRITTEN: (WARNING, "months_warning"),
    Consequence.REMOVAL: (REMOVAL, "months_removal"),
}


@dataclass(frozen=True)
class Expiry:
    on: date | None
    rule: str
    months: int = 0

    def due(self, today: date) -> bool:
        return self.on is not None and self.on <= today

    def describe(self) -> str:
        """The rule in words, for the case page (never content)."""
        return describe(self.rule, self.months)


def describe(rule: str, months: int = 0) -> str:
    counted = {
        NO_ACTION: ngettext(
            "No action: %(n)d month after closing", "No action: %(n)d months after closing", months
        ),
        JUNK: ngettext(
            "Junk: %(n)d month after it was marked as junk",
            "Junk: %(n)d months after it was marked as junk",
            months,
        ),
        WARNING: ngettext(
            "Warning: %(n)d month after closing", "Warning: %(n)d months after closing", months
        ),
        REMOVAL: ngettext(
            "Removal: %(n)d month after closing", "Removal: %(n)d months after closing", months
        ),
        BAN: ngettext(
            "Ban: %(n)d month after the ban ends", "Ban: %(n)d months after the ban ends", months
        ),
    }
    if rule in counted:
        return counted[rule] % {"n": months}
    return {
        OPEN: _("Open: kept while the case is open"),
        BAN_IN_FORCE: _("Permanent ban: kept until the ban is lifted"),
        EXTENDED: _("Extended by an incident lead"),
        WITHDRAWN: _("Withdrawn by the reporter"),
    }.get(rule, rule)


def local_day(case, moment) -> date:
    return timezone.localdate(moment, timezone=case.event.zone)


def today_for(case, now) -> date:
    return local_day(case, now)


def _ban_end(decision, entry) -> date | None:
    """The day a ban ended or ends; None while a permanent ban is in force."""
    ends = entry.expires_on if entry is not None else decision.ban_until
    if entry is not None and entry.lifted_at is not None:
        lifted = entry.lifted_at.date()
        ends = lifted if ends is None else min(ends, lifted)
    return ends


def compute(case, policy, decision=None, entry=None, extended_until=None) -> Expiry:
    """The expiry of one case, from what the caller loaded (``expiries`` loads it in bulk)."""
    if case.junk_at is not None and case.status == Status.NEW:
        months = policy.months_no_action
        found = Expiry(add_months(local_day(case, case.junk_at), months), JUNK, months)
        if extended_until is not None and extended_until > found.on:
            return Expiry(extended_until, EXTENDED)
        return found
    if case.status != Status.CLOSED or case.closed_at is None:
        return Expiry(None, OPEN)
    closed = local_day(case, case.closed_at)
    consequence = decision.consequence if decision is not None else Consequence.NO_ACTION
    if consequence == Consequence.BAN:
        ends = _ban_end(decision, entry)
        if ends is None:
            found = Expiry(None, BAN_IN_FORCE)
        else:
            months = policy.months_after_ban
            found = Expiry(max(closed, add_months(ends, months)), BAN, months)
    else:
        rule, field = _BY_CONSEQUENCE[consequence]
        months = getattr(policy, field)
        found = Expiry(add_months(closed, months), rule, months)
    if extended_until is not None and found.on is not None and extended_until > found.on:
        return Expiry(extended_until, EXTENDED)
    return found


def expiries(cases) -> dict:
    """case id -> Expiry for many cases at once (a handful of queries, whatever their number).
    The cases need ``event`` loaded (``select_related("event")``)."""
    cases = list(cases)
    ids = [case.pk for case in cases]
    policies = policies_for(case.event.organisation_id for case in cases)
    finals = {
        d.case_id: d for d in Decision.objects.filter(case_id__in=ids, state=Decision.State.FINAL)
    }
    entries = {
        e.decision_id: e
        for e in BanEntry.objects.filter(decision_id__in=[d.pk for d in finals.values()])
    }
    extended = dict(
        RetentionExtension.objects.filter(case_id__in=ids)
        .values("case_id")
        .annotate(until=Max("until"))
        .values_list("case_id", "until")
    )
    found = {}
    for case in cases:
        decision = finals.get(case.pk)
        found[case.pk] = compute(
            case,
            policies[case.event.organisation_id],
            decision,
            entries.get(decision.pk) if decision is not None else None,
            extended.get(case.pk),
        )
    return found


def expiry_of(case) -> Expiry:
    if case.expunged_at is not None:
        return Expiry(local_day(case, case.expunged_at), case.expunge_rule)
    return expiries([case])[case.pk]


def closed_cases(organisation_id: int):
    """The organisation's cases not yet expunged that can come due: the closed ones, and
    those marked as junk in a flood."""
    return Case.objects.filter(
        Q(status=Status.CLOSED) | Q(status=Status.NEW, junk_at__isnull=False),
        event__organisation_id=organisation_id,
        expunged_at__isnull=True,
    ).select_related("event")
