"""Audited services on the organisation's records: retention policy, previews, purges,
keeping a case longer, and a reporter's withdrawal."""

from datetime import timedelta

from django.utils import timezone

from ombud.cases.models import Case
from ombud.records.services import expiry, extend, policy, purge, withdrawal
from tests import factories
from tests.audit.catalogue import Call, audited, fresh, keyed
from tests.records.helpers import closed_case
from tests.records.helpers import keyed as keyed_team


def _due(cast):
    keyed_team(cast)
    return closed_case(cast, timezone.now() - timedelta(days=220))


@audited(policy.save_policy, "organisation.retention_changed")
def change_the_retention_policy(cast):
    values = {name: getattr(policy.policy_for(0), name) for name in policy.EDITABLE}
    organisation = cast.event.organisation
    return Call(
        lambda: policy.save_policy(
            fresh(organisation), {**values, "months_no_action": 3}, by=cast.admin
        ),
        cast.admin,
    )


@audited(purge.make_preview, "organisation.purge_previewed")
def preview_what_is_due(cast):
    _due(cast)
    return Call(lambda: purge.make_preview(cast.event.organisation, by=cast.lead), cast.lead)


@audited(purge.purge, "case.expunged@system", "organisation.purge_run@system")
def purge_what_a_week_old_preview_listed(cast):
    _due(cast)
    now = timezone.now()
    purge.make_preview(cast.event.organisation, now=now - timedelta(days=8))
    return Call(lambda: purge.purge(purge.ripe_items(now), now=now))


@audited(extend.extend, "case.retention_extended")
def keep_a_case_longer(cast):
    case = _due(cast)
    until = expiry.expiry_of(case).on + timedelta(days=30)
    return Call(
        lambda: extend.extend(
            fresh(case), until, "why", by=keyed(cast.lead), expected_version=fresh(case).version
        ),
        cast.lead,
    )


@audited(extend.history, "case.read")
def read_why_a_case_is_kept_longer(cast):
    case = _due(cast)
    until = expiry.expiry_of(case).on + timedelta(days=30)
    extend.extend(case, until, "why", by=keyed(cast.lead), expected_version=case.version)
    return Call(lambda: extend.history(fresh(case), by=keyed(cast.lead)), cast.lead)


@audited(withdrawal.withdraw, "report.withdrawn@reporter")
def withdraw_a_report(cast):
    receipt = factories.file_report(cast.event).receipt
    return Call(lambda: withdrawal.withdraw(receipt))


@audited(purge.finish_withdrawn, "case.expunged@system")
def finish_a_withdrawn_case(cast):
    receipt = factories.file_report(cast.event).receipt
    case = withdrawal.withdraw(receipt)
    later = timezone.now() + timedelta(days=400)
    return Call(lambda: purge.finish_withdrawn(Case.objects.get(pk=case.pk), now=later))
