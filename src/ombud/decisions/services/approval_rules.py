"""Organiser admins set, per event, how many approvals each consequence needs."""

from django.db import transaction

from ombud.audit import services as audit
from ombud.decisions.models import ApprovalRule


@transaction.atomic
def save(event, chosen: dict, *, by) -> None:
    """``chosen``: consequence -> (approvals, lead_required)."""
    for consequence, (approvals, lead_required) in chosen.items():
        ApprovalRule.objects.update_or_create(
            event=event,
            consequence=consequence,
            defaults={"approvals": approvals, "lead_required": bool(lead_required and approvals)},
        )
    audit.record(by, "decision_rules.changed", event, event_id=event.pk)
