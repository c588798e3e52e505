"""An organisation's retention policy: read (created with the defaults when first
needed) and changed by its organiser admins, audited."""

from django.db import transaction
from django.utils import timezone

from ombud.audit import services as audit
from ombud.records.models import RetentionPolicy

EDITABLE = (
    "months_no_action",
    "months_warning",
    "months_removal",
    "months_after_ban",
    "attendee_list_days",
)


def policy_for(organisation_id: int) -> RetentionPolicy:
    """The organisation's policy; the defaults until someone changes them (not stored
    until then, so reading never writes)."""
    found = RetentionPolicy.objects.filter(organisation_id=organisation_id).first()
    return found or RetentionPolicy(organisation_id=organisation_id)


def policies_for(organisation_ids) -> dict[int, RetentionPolicy]:
    wanted = set(organisation_ids)
    found = {
        policy.organisation_id: policy
        for policy in RetentionPolicy.objects.filter(organisation_id__in=wanted)
    }
    return {
        org_id: found.get(org_id) or RetentionPolicy(organisation_id=org_id) for org_id in wanted
    }


@transaction.atomic
def save_policy(organisation, values: dict, *, by) -> RetentionPolicy:
    """Change the policy (a form's cleaned values). Cases already previewed for a purge
    are checked against the new policy when the purge runs."""
    policy = RetentionPolicy.objects.select_for_update().filter(
        organisation=organisation
    ).first() or RetentionPolicy(organisation=organisation)
    changed = [name for name in EDITABLE if getattr(policy, name) != values[name]]
    if not changed:
        return policy
    for name in changed:
        setattr(policy, name, values[name])
    policy.changed_at = timezone.now()
    policy.full_clean()
    policy.save()
    audit.record(by, "organisation.retention_changed", organisation)
    return policy
