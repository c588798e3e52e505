"""The EU whistleblowing directive's deadlines (acknowledge within 7 days, feedback
within 3 months), kept where an organisation turns them on: shown, flagged and
reminded like the event's own promises, and said to reporters."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ombud.audit.models import Entry
from ombud.cases.models import Case
from ombud.cases.services import promises, work
from ombud.events.models import Organisation
from ombud.notify.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeping(cast):
    Organisation.objects.filter(pk=cast.event.organisation_id).update(eu_directive_deadlines=True)
    cast.event.organisation.refresh_from_db()
    return cast


def _case(case):
    return (
        promises.with_last_update(Case.objects.filter(pk=case.pk))
        .select_related("event__organisation")
        .get()
    )


def _acknowledged(cast):
    case = factories.declared(factories.file_report(cast.event).report.case, cast.lead)
    lead = factories.holding_key(cast.lead)
    work.acknowledge(case, by=lead, expected_version=case.version)
    return _case(case), lead


def _reminders():
    return OutboxMessage.objects.filter(kind=OutboxMessage.Kind.OVERDUE)


def test_without_the_directive_a_case_has_only_the_events_promises(cast):
    case = _case(factories.file_report(cast.event).report.case)
    assert [d.what for d in promises.deadlines(case)] == ["acknowledge"]
    assert promises.overdue(case, case.created_at + timedelta(days=30)).what == "acknowledge"


def test_a_report_unacknowledged_for_seven_days_misses_the_legal_deadline(keeping):
    case = _case(factories.file_report(keeping.event).report.case)
    shown = {d.what: d for d in promises.deadlines(case)}
    assert set(shown) == {"acknowledge", "legal_acknowledge", "legal_feedback"}
    assert shown["legal_acknowledge"].due == case.created_at + timedelta(days=7)
    # The event's one-hour promise is missed first; the law's deadline later, on its own.
    assert promises.overdue(case, case.created_at + timedelta(hours=2)).what == "acknowledge"
    late = promises.overdue(case, case.created_at + timedelta(days=7, minutes=1))
    assert (late.what, late.legal) == ("legal_acknowledge", True)
    assert str(promises.BADGES[late.what]) == "legal deadline missed: acknowledgement"


def test_each_missed_deadline_is_reminded_once(keeping):
    case = factories.file_report(keeping.event, what_happened="EUCANARY").report.case
    assert promises.remind_due(case.created_at + timedelta(hours=2)) == 1
    assert promises.remind_due(case.created_at + timedelta(hours=3)) == 0
    assert promises.remind_due(case.created_at + timedelta(days=7, hours=1)) == 1
    assert promises.remind_due(case.created_at + timedelta(days=7, hours=2)) == 0
    assert _reminders().count() == 2 * len({"lead", "lead2"})
    assert all("EUCANARY" not in json.dumps(row.context) for row in _reminders())


def test_feedback_is_due_three_calendar_months_after_the_report(keeping):
    case, lead = _acknowledged(keeping)
    feedback = {d.what: d for d in promises.deadlines(case)}["legal_feedback"]
    assert feedback.due == promises.months_later(case.created_at, 3, keeping.event.zone)
    assert not feedback.met
    assert promises.overdue(case, case.created_at + timedelta(days=8)).what == "update"
    missed = promises.overdue(case, feedback.due + timedelta(minutes=1))
    assert missed.what == "legal_feedback"
    work.message_reporter(case, "We are looking into it.", by=lead)
    after = {d.what: d for d in promises.deadlines(_case(case))}
    assert after["legal_feedback"].met
    assert after["legal_acknowledge"].met


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2027, 1, 31, 9, tzinfo=UTC), datetime(2027, 4, 30, 9, tzinfo=UTC)),
        (datetime(2027, 11, 30, 9, tzinfo=UTC), datetime(2028, 2, 29, 9, tzinfo=UTC)),
        (datetime(2027, 5, 15, 9, tzinfo=UTC), datetime(2027, 8, 15, 9, tzinfo=UTC)),
    ],
)
def test_three_months_on_is_a_calendar_date(start, end):
    assert promises.months_later(start, 3, ZoneInfo("UTC")) == end


def test_a_local_time_stays_the_same_across_a_clock_change():
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2027, 1, 10, 9, tzinfo=berlin)  # winter time
    assert promises.months_later(start, 3, berlin) == datetime(2027, 4, 10, 9, tzinfo=berlin)


def test_the_case_page_and_the_api_show_the_deadlines(client, keeping):
    case, _lead = _acknowledged(keeping)
    factories.sign_in(client, keeping.lead)
    html = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Feedback to the reporter (EU whistleblowing directive)" in html
    assert "Next update to the reporter (the event&#x27;s promise)" in html
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "lead", "password": factories.PASSWORD, "otp": factories.otp()}),
        content_type="application/json",
    ).json()["token"]
    body = client.get(f"/api/v1/cases/{case.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    shown = {d["what"]: d for d in body["deadlines"]}
    assert set(shown) == {"update", "legal_acknowledge", "legal_feedback"}
    assert shown["legal_acknowledge"] | {"due": None} == {
        "what": "legal_acknowledge",
        "due": None,
        "met": True,
        "legal": True,
    }
    assert shown["update"]["legal"] is False


def test_the_dashboard_flags_a_missed_legal_deadline(client, keeping):
    case = factories.file_report(keeping.event).report.case
    Case.objects.filter(pk=case.pk).update(created_at=case.created_at - timedelta(days=8))
    factories.sign_in(client, keeping.lead)
    assert "legal deadline missed: acknowledgement" in client.get("/staff/").content.decode()


def test_reporters_are_told_when_the_organisation_keeps_the_deadlines(client, cast):
    sentence = "acknowledges your report within 7 days and gives you feedback within 3 months"
    assert sentence not in client.get(f"/e/{cast.event.slug}/").content.decode()
    Organisation.objects.filter(pk=cast.event.organisation_id).update(eu_directive_deadlines=True)
    assert sentence in client.get(f"/e/{cast.event.slug}/").content.decode()


def test_an_organiser_admin_turns_them_on_audited(client, cast):
    factories.sign_in(client, cast.admin)
    response = client.post(
        "/staff/manage/org/conf-org/",
        {"name": "Conf Org", "fallback_contact_email": "", "eu_directive_deadlines": "on"},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(slug="conf-org").eu_directive_deadlines
    assert Entry.objects.filter(action="organisation.settings_changed").count() == 1
