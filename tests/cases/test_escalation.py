"""The alert ladder, driven with a clock the test controls."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.cases.models import Escalation, Recusal, TimelineEntry
from ombud.cases.services import escalation, work
from ombud.notify.models import OutboxMessage
from ombud.staff.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def _alerted(kind="escalation"):
    found = OutboxMessage.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    return sorted(found, key=lambda name: name or "")


def _after(case, minutes):
    return case.created_at + timedelta(minutes=minutes, seconds=1)


def test_an_unacknowledged_report_climbs_the_ladder_level_by_level(cast):
    case = factories.file_report(cast.event).report.case
    state = Escalation.objects.get(case=case)
    assert (state.level, state.next_at) == (1, case.created_at + timedelta(minutes=10))
    assert escalation.escalate_due(_after(case, 9)) == 0

    assert escalation.escalate_due(_after(case, 10)) == 1
    assert _alerted() == ["responder"]  # level 2: responders on duty, every channel

    OutboxMessage.objects.all().delete()
    assert escalation.escalate_due(_after(case, 20)) == 1
    assert _alerted() == ["lead", "lead2"]  # level 3: every lead

    OutboxMessage.objects.all().delete()
    cast.event.organisation.fallback_contact_email = "fallback@example.org"
    cast.event.organisation.save()
    assert escalation.escalate_due(_after(case, 30)) == 1
    assert _alerted() == [None, "lead", "lead2"]  # level 4: leads by every channel + fallback
    assert escalation.escalate_due(_after(case, 600)) == 0  # the top of the ladder
    levels = [e.detail["level"] for e in TimelineEntry.objects.filter(case=case, kind="escalated")]
    assert levels == [2, 3, 4]


def test_urgent_reports_escalate_much_sooner(cast):
    case = factories.file_report(cast.event, danger_now=True).report.case
    assert escalation.escalate_due(_after(case, 1)) == 0
    assert escalation.escalate_due(_after(case, 2)) == 1


def test_acknowledging_stops_the_ladder(cast):
    case = factories.file_report(cast.event).report.case
    work.acknowledge(case, by=cast.responder, expected_version=case.version)
    assert escalation.escalate_due(_after(case, 60)) == 0
    state = Escalation.objects.get(case=case)
    assert (state.stopped_by, state.next_at) == (cast.responder, None)
    kinds = list(TimelineEntry.objects.filter(case=case).values_list("kind", flat=True))
    assert "alert_acknowledged" in kinds


def test_recusal_holds_at_every_level_and_the_fallback_takes_over(cast):
    cast.event.organisation.fallback_contact_email = "fallback@example.org"
    cast.event.organisation.save()
    case = factories.file_report(
        cast.event, who="Rita Responder", exclude_staff=["lead", "lead2"]
    ).report.case
    assert list(OutboxMessage.objects.values_list("address", flat=True)) == ["fallback@example.org"]
    for minutes in (10, 20, 30):
        escalation.escalate_due(_after(case, minutes))
    recipients = set(OutboxMessage.objects.values_list("recipient__username", flat=True))
    assert recipients == {None}
    assert set(OutboxMessage.objects.values_list("address", flat=True)) == {"fallback@example.org"}


def test_someone_recused_after_the_report_is_skipped_by_later_levels(cast):
    case = factories.file_report(cast.event).report.case
    from django.db import transaction  # noqa: PLC0415

    from ombud.cases.services.access import upkeep_key  # noqa: PLC0415
    from ombud.cases.services.recusal import recuse  # noqa: PLC0415

    with transaction.atomic():
        recuse(
            case,
            upkeep_key(case, factories.holding_key(cast.lead2)),
            {cast.lead.pk: Recusal.Reason.SELF},
        )
    escalation.escalate_due(_after(case, 10))
    escalation.escalate_due(_after(case, 20))
    assert "lead" not in _alerted()
    assert "lead2" in _alerted()


def test_every_channel_at_level_two_primary_only_at_level_one(cast):
    from ombud.notify.channels import config  # noqa: PLC0415
    from ombud.notify.models import AlertChannel  # noqa: PLC0415

    responder = cast.responder
    AlertChannel.objects.create(
        user=responder,
        kind="slack",
        label="hooks.example.org",
        is_primary=True,
        sealed_config=config.seal(responder.pk, "slack", {"target": "http://127.0.0.1:9/x"}),
    )
    AlertChannel.objects.create(
        user=responder,
        kind="sms",
        label="…0001",
        sealed_config=config.seal(responder.pk, "sms", {"target": "+15550001"}),
    )
    case = factories.file_report(cast.event).report.case
    first = OutboxMessage.objects.filter(recipient=responder, kind="new_report")
    assert [m.channel.kind for m in first] == ["slack"]
    escalation.escalate_due(_after(case, 10))
    second = OutboxMessage.objects.filter(recipient=responder, kind="escalation")
    kinds = sorted(m.channel.kind if m.channel else "account e-mail" for m in second)
    assert kinds == ["account e-mail", "slack", "sms"]


def test_a_new_lead_who_joins_while_a_case_climbs_is_reached_at_the_lead_levels(cast):
    case = factories.file_report(cast.event).report.case
    joiner = factories.user("joiner", "Jo", "Iner")
    factories.member(cast.event, joiner, Role.LEAD, on_duty=False)
    escalation.escalate_due(_after(case, 10))
    escalation.escalate_due(_after(case, 20))
    assert "joiner" in _alerted()


def test_the_case_page_says_when_the_next_level_is_alerted(client, cast):
    case = factories.declared(factories.file_report(cast.event).report.case, cast.lead)
    factories.sign_in(client, cast.lead)
    html = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "alerted at level 1 of 4" in html
    escalation.escalate_due(timezone.now() + timedelta(hours=2))
    escalation.escalate_due(timezone.now() + timedelta(hours=3))
    escalation.escalate_due(timezone.now() + timedelta(hours=4))
    html = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "although everyone was alerted (level 4)" in html
