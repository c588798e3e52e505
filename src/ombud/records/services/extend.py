"""A lead keeps a case longer than the policy says, with a reason.

The reason is sealed under the case key like every other text on the case: a
lead explaining why a case is kept ("the respondent applied to speak next year")
may well name people, and a policy of "never name anyone here" would be broken
the first busy evening. Extending bumps the case's version, so a purge preview
made before it no longer applies to the case.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.cases.models import Case
from ombud.cases.services import work
from ombud.cases.services.access import case_key
from ombud.records import rules
from ombud.records.models import RetentionExtension
from ombud.records.services import expiry

REASON_LIMIT = 2000
# Ten years: longer than any ban the ladder knows, short of for ever.
LONGEST = timedelta(days=3653)


def why_not_extend(case, until, *, by, now) -> str:
    if not rules.may_extend(by, case):
        return _("Only an incident lead can keep a case longer.")
    current = expiry.expiry_of(case)
    if current.on is None:
        return _("This case has no expunge date to extend: it is open, or a ban keeps it.")
    if until <= current.on:
        return _("Choose a date after the current expunge date (%(date)s).") % {
            "date": current.on.isoformat()
        }
    if until > expiry.today_for(case, now) + LONGEST:
        return _("Choose a date within ten years.")
    return ""


@transaction.atomic
def extend(case, until, reason: str, *, by, expected_version: int, now=None) -> RetentionExtension:
    now = now or timezone.now()
    case = Case.objects.select_for_update().select_related("event").get(pk=case.pk)
    work.refuse(why_not_extend(case, until, by=by, now=now))
    reason = (reason or "").strip()
    if not reason:
        raise work.CaseActionError(_("Say why the case is kept longer."))
    if len(reason) > REASON_LIMIT:
        raise work.CaseActionError(
            _("That is too long: at most %(limit)d characters.") % {"limit": REASON_LIMIT}
        )
    opened = case_key(case, by)
    work.bump(case, expected_version)
    extension = RetentionExtension(case=case, until=until, by=by, at=now)
    extension.sealed_reason = opened.seal("retention", extension.pk, {"reason": reason})
    extension.save(force_insert=True)
    audit.record(by, "case.retention_extended", case, event_id=case.event_id)
    return extension


@transaction.atomic
def history(case, *, by) -> list[tuple[RetentionExtension, str]]:
    """The case's extensions with their reasons, for its leads; reading them is audited."""
    rows = list(RetentionExtension.objects.filter(case=case).select_related("by"))
    if not rows:
        return []
    opened = case_key(case, by)
    found = [(row, opened.open("retention", row.pk, row.sealed_reason)["reason"]) for row in rows]
    audit.record(by, "case.read", case, event_id=case.event_id)
    return found
