"""The records pages: the policy (organiser admins), the purge preview (leads, never
responders, recusals applied) and keeping a case longer (its leads)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.cases.models import Case
from ombud.records.models import PreviewItem, RetentionExtension, RetentionPolicy
from ombud.records.services import expiry, purge
from tests import factories
from tests.records.helpers import CANARY, closed_case, keyed

pytestmark = pytest.mark.django_db

POLICY = {
    "months_no_action": "3",
    "months_warning": "9",
    "months_removal": "18",
    "months_after_ban": "6",
    "attendee_list_days": "14",
}


def _policy_url(cast):
    return reverse("records:policy", args=[cast.event.organisation.slug])


def _purges_url(cast):
    return reverse("records:purges", args=[cast.event.organisation.slug])


def test_an_organiser_admin_sets_the_policy_audited(cast, signed_in):
    client = signed_in(cast.admin)
    page = client.get(_policy_url(cast))
    assert page.status_code == 200
    assert 'value="6"' in page.text  # the defaults, before anyone chose
    assert not RetentionPolicy.objects.exists()  # reading writes nothing
    response = client.post(_policy_url(cast), POLICY)
    assert response.status_code == 302
    policy = RetentionPolicy.objects.get(organisation=cast.event.organisation)
    assert (policy.months_no_action, policy.attendee_list_days) == (3, 14)
    assert Entry.objects.filter(action="organisation.retention_changed").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("months_no_action", "0"), ("months_warning", "500"), ("attendee_list_days", "x")],
)
def test_a_value_out_of_bounds_is_a_form_error_and_nothing_typed_is_lost(
    cast, signed_in, field, value
):
    response = signed_in(cast.admin).post(_policy_url(cast), {**POLICY, field: value})
    assert response.status_code == 400
    assert "error-summary" in response.text
    assert f'value="{POLICY["months_removal"]}"' in response.text
    assert not RetentionPolicy.objects.exists()


@pytest.mark.parametrize("who", ["lead", "responder", "outsider"])
def test_only_organiser_admins_reach_the_policy(cast, signed_in, who):
    assert signed_in(getattr(cast, who)).get(_policy_url(cast)).status_code == 404


def _due_case(cast, **extra):
    return closed_case(cast, timezone.now() - timedelta(days=220), **extra)


def test_a_lead_sees_the_preview_previews_and_purges_after_confirming(cast, signed_in):
    keyed(cast)
    case = _due_case(cast)
    client = signed_in(cast.lead)
    page = client.get(_purges_url(cast))
    assert page.status_code == 200
    assert "Nothing has been listed yet" in page.text
    assert client.post(_purges_url(cast), {"action": "preview"}).status_code == 302
    preview = purge.latest_preview(cast.event.organisation)
    assert preview.made_by == cast.lead
    page = client.get(_purges_url(cast))
    assert case.code_name in page.text
    assert CANARY not in page.text
    refused = client.post(_purges_url(cast), {"action": "purge", "preview": preview.pk})
    assert refused.status_code == 400
    assert "Tick the box" in refused.text
    case.refresh_from_db()
    assert case.expunged_at is None
    done = client.post(
        _purges_url(cast), {"action": "purge", "preview": preview.pk, "confirm": "on"}
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.expunge_rule == expiry.NO_ACTION
    assert Entry.objects.filter(action="case.expunged", actor_id=str(cast.lead.pk)).count() == 1


def test_a_purge_from_an_outdated_preview_is_refused(cast, signed_in):
    keyed(cast)
    case = _due_case(cast)
    old = purge.make_preview(cast.event.organisation, by=cast.lead)
    purge.make_preview(cast.event.organisation, by=cast.lead2)
    response = signed_in(cast.lead).post(
        _purges_url(cast), {"action": "purge", "preview": old.pk, "confirm": "on"}
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.expunged_at is None


def test_a_recused_lead_sees_a_count_and_cannot_purge_the_case(cast, signed_in):
    keyed(cast)
    report = factories.file_report(cast.event, exclude_staff=["lead2"]).report
    case = report.case
    from ombud.cases.services import work  # noqa: PLC0415

    work.change_status(case, "acknowledged", by=cast.lead, expected_version=case.version)
    case.refresh_from_db()
    work.change_status(case, "closed", by=cast.lead, expected_version=case.version)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=220))
    preview = purge.make_preview(cast.event.organisation)
    client = signed_in(cast.lead2)
    page = client.get(_purges_url(cast))
    assert page.status_code == 200
    assert case.code_name not in page.text
    assert "1 more case you cannot see" in page.text
    client.post(_purges_url(cast), {"action": "purge", "preview": preview.pk, "confirm": "on"})
    case.refresh_from_db()
    assert case.expunged_at is None
    assert PreviewItem.objects.get(case=case).state == PreviewItem.State.PENDING


@pytest.mark.parametrize("who", ["responder", "staff", "admin", "outsider"])
def test_only_leads_reach_the_purge_page(cast, signed_in, who):
    keyed(cast)
    _due_case(cast)
    purge.make_preview(cast.event.organisation)
    client = signed_in(getattr(cast, who))
    assert client.get(_purges_url(cast)).status_code == 404
    assert client.post(_purges_url(cast), {"action": "preview"}).status_code == 404


def test_the_case_page_shows_the_expunge_date_and_a_lead_keeps_it_longer(cast, signed_in):
    keyed(cast)
    case = _due_case(cast)
    current = expiry.expiry_of(case).on
    client = signed_in(cast.lead)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert "Retention" in page.text
    assert reverse("records:case_retention", args=[case.pk]) in page.text
    url = reverse("records:case_retention", args=[case.pk])
    assert client.get(url).status_code == 200
    too_early = client.post(
        url, {"until": current.isoformat(), "reason": "Kept for Wit Ness", "version": case.version}
    )
    assert too_early.status_code == 400
    assert "Kept for Wit Ness" in too_early.text  # nothing typed lost
    later = current + timedelta(days=90)
    done = client.post(
        url, {"until": later.isoformat(), "reason": "Kept for Wit Ness", "version": case.version}
    )
    assert done.status_code == 302
    found = expiry.expiry_of(Case.objects.select_related("event").get(pk=case.pk))
    assert (found.on, found.rule) == (later, expiry.EXTENDED)
    extension = RetentionExtension.objects.get(case=case)
    assert b"Wit Ness" not in bytes(extension.sealed_reason)
    assert Entry.objects.filter(action="case.retention_extended").count() == 1
    assert "Kept for Wit Ness" in client.get(url).text


def test_a_responder_cannot_keep_a_case_longer(cast, signed_in):
    keyed(cast)
    case = _due_case(cast)
    url = reverse("records:case_retention", args=[case.pk])
    client = signed_in(cast.responder)
    assert client.get(url).status_code == 404
    response = client.post(url, {"until": "2099-01-01", "reason": "x", "version": case.version})
    assert response.status_code == 404
    assert not RetentionExtension.objects.exists()
