"""The team's promises to reporters: overdue cases are flagged and the owner and
leads reminded, once per missed promise, with nothing of the case in the reminder."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.cases.models import Case, Message
from ombud.cases.services import promises, team, work
from ombud.notify.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db


def _overdue(case, now):
    return promises.overdue(promises.with_last_update(Case.objects.filter(pk=case.pk)).get(), now)


def _reminded():
    return OutboxMessage.objects.filter(kind=OutboxMessage.Kind.OVERDUE)


def test_a_new_case_is_overdue_after_the_hour_the_team_promised(cast):
    case = factories.file_report(cast.event, what_happened="PROMISECANARY").report.case
    assert _overdue(case, case.created_at + timedelta(minutes=59)) is None
    late = _overdue(case, case.created_at + timedelta(minutes=61))
    assert late.what == "acknowledge"
    assert late.due == case.created_at + timedelta(hours=1)


def test_after_acknowledging_the_reporter_is_owed_an_update_every_seven_days(cast):
    case = factories.declared(factories.file_report(cast.event).report.case, cast.lead)
    lead = factories.holding_key(cast.lead)
    work.acknowledge(case, by=lead, expected_version=case.version)
    case.refresh_from_db()
    assert _overdue(case, case.created_at + timedelta(days=6)) is None
    assert _overdue(case, case.created_at + timedelta(days=8)).what == "update"
    work.message_reporter(case, "We are looking into it.", by=lead)
    assert _overdue(case, timezone.now() + timedelta(days=6)) is None
    assert _overdue(case, timezone.now() + timedelta(days=8)).what == "update"


def test_the_owner_and_leads_are_reminded_once_per_missed_promise(cast):
    case = factories.file_report(cast.event, what_happened="PROMISECANARY").report.case
    team.assign_owner(case, cast.responder, by=factories.holding_key(cast.lead))
    later = case.created_at + timedelta(hours=2)
    assert promises.remind_due(later) == 1
    assert promises.remind_due(later + timedelta(minutes=5)) == 0  # once
    to = set(_reminded().values_list("recipient__username", flat=True))
    assert to == {"lead", "lead2", "responder"}
    for row in _reminded():
        assert "PROMISECANARY" not in str(row.context)
        assert row.context["url"].endswith(f"/staff/cases/{case.pk}/")


def test_nobody_recused_is_reminded(cast):
    case = factories.file_report(cast.event, who="Lou Second").report.case
    promises.remind_due(case.created_at + timedelta(hours=2))
    assert set(_reminded().values_list("recipient__username", flat=True)) == {"lead"}


def test_the_dashboard_flags_overdue_cases_and_shows_the_owner(client, cast):
    case = factories.file_report(cast.event).report.case
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=3))
    team.assign_owner(case, cast.lead, by=factories.holding_key(cast.lead))
    factories.sign_in(client, cast.lead)
    html = client.get("/staff/").content.decode()
    assert "acknowledgement overdue" in html
    assert "Owner: <bdi>Lena Lead</bdi>" in html


def test_a_lists_last_update_is_its_latest_message_to_the_reporter_as_the_orm_says(cast):
    """The dashboard's prepared query agrees with ``with_last_update``'s definition."""
    written, quiet = (factories.file_report(cast.event).report for _ in range(2))
    start = timezone.now() - timedelta(days=3)
    for hours, direction in ((1, "to_reporter"), (5, "to_reporter"), (9, "from_reporter")):
        Message.objects.create(
            case=written.case,
            report=written,
            direction=direction,
            created_at=start + timedelta(hours=hours, microseconds=250),
            sealed=b"x",
        )
    ids = [written.case_id, quiet.case_id]
    cases = promises.attach_last_update(list(Case.objects.filter(pk__in=ids)))
    by_orm = dict(
        promises.with_last_update(Case.objects.filter(pk__in=ids)).values_list("pk", "last_update")
    )
    assert {c.pk: c.last_update for c in cases} == by_orm
    assert by_orm == {
        written.case_id: start + timedelta(hours=5, microseconds=250),
        quiet.case_id: None,
    }
    assert promises.attach_last_update([]) == []
