"""What the dashboard tells the response team about alerting."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.formats import date_format

from ombud.cases.models import Case, Escalation
from ombud.notify import worker
from ombud.notify.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db


def test_new_cases_can_be_acknowledged_from_the_dashboard(client, cast):
    case = factories.file_report(cast.event).report.case
    factories.sign_in(client, cast.responder)
    html = client.get("/staff/").content.decode()
    assert f'action="/staff/cases/{case.pk}/"' in html
    acknowledge = {"action": "status", "status": "acknowledged", "version": case.version}
    # First: is there a conflict of interest? Nothing is done before the answer.
    asked = client.post(f"/staff/cases/{case.pk}/", acknowledge)
    assert asked.status_code == 409
    assert "To acknowledge this report, first say whether" in asked.content.decode()
    case.refresh_from_db()
    assert case.status == "new"
    response = client.post(
        f"/staff/cases/{case.pk}/",
        {"action": "declare", "choice": "no_conflict", "then": "acknowledge", "version": 1},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "acknowledged"


def test_each_row_says_when_and_how_a_case_came_in_and_how_far_its_alert_climbed(client, cast):
    climbing = factories.file_report(cast.event).report.case
    received = timezone.now() - timedelta(hours=2, minutes=5, seconds=30)
    Case.objects.filter(pk=climbing.pk).update(created_at=received)
    Escalation.objects.filter(case=climbing).update(level=2)
    quiet = factories.file_report(cast.event).report.case
    Escalation.objects.filter(case=quiet).delete()  # no escalation row: shown, not climbing
    factories.sign_in(client, cast.lead)
    html = client.get("/staff/").content.decode()
    assert html.count('class="case-item') == 2
    assert html.count("escalated: level 2") == 1
    assert '<span class="badge urgent">escalated: level 2</span>' in html
    assert html.count('<span class="badge new">New</span>') == 2
    # In the event's time zone, whatever the server's.
    when = date_format(timezone.localtime(received, cast.event.zone), "SHORT_DATETIME_FORMAT")
    assert f"Received 2\xa0hours, 5\xa0minutes ago ({when})" in html
    assert f"{cast.event.name} · Web form" in html
    for case in (climbing, quiet):
        assert f'href="/staff/cases/{case.pk}/"' in html
        assert f'action="/staff/cases/{case.pk}/"' in html


def test_leads_see_dead_letters_for_their_cases_and_send_them_again(client, cast):
    case = factories.file_report(cast.event).report.case
    OutboxMessage.objects.filter(recipient=cast.responder).update(
        state="dead", attempts=10, last_error="SMTPRecipientsRefused"
    )
    dead = OutboxMessage.objects.get(state="dead")
    factories.sign_in(client, cast.responder)
    assert "could not be delivered" not in client.get("/staff/").content.decode()
    assert client.post(f"/staff/alerts/{dead.pk}/retry/").status_code == 404
    factories.sign_in(client, cast.lead)
    html = client.get("/staff/").content.decode()
    assert "could not be delivered" in html
    assert "SMTPRecipientsRefused" in html
    assert client.post(f"/staff/alerts/{dead.pk}/retry/").status_code == 302
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == ("pending", 0)
    assert case.pk == dead.subject_id


def test_a_lead_recused_from_a_case_does_not_see_its_dead_letters(client, cast):
    factories.file_report(cast.event, who="Lou Second")
    OutboxMessage.objects.update(state="dead", attempts=10)
    factories.sign_in(client, cast.lead2)
    assert "could not be delivered" not in client.get("/staff/").content.decode()


def test_leads_are_told_when_the_worker_is_not_running(client, cast):
    factories.sign_in(client, cast.lead)
    assert "alert worker is not running" in client.get("/staff/").content.decode()
    worker.beat(timezone.now())
    assert "alert worker is not running" not in client.get("/staff/").content.decode()


def test_worker_check_reports_liveness_and_backlog(cast):
    factories.file_report(cast.event)
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("worker", "--check", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["alive"], report["pending"], report["healthy"]) == (False, 3, False)
    worker.beat(timezone.now())
    out = StringIO()
    call_command("worker", "--check", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["alive"], report["healthy"]) == (True, True)
    assert report["oldest_undelivered_seconds"] < 60


def test_staff_follow_the_status_of_reports_they_took_for_someone(client, cast):
    """Only when, where and how far along: the content is for the response team."""
    report = factories.file_report(
        cast.event, what_happened="TAKENCANARY", taken_by=cast.staff, channel="in_person"
    ).report
    factories.file_report(cast.other_event, taken_by=cast.outsider, channel="in_person")
    factories.sign_in(client, cast.staff)
    html = client.get("/staff/").content.decode()
    when = date_format(
        timezone.localtime(report.received_at, cast.event.zone), "SHORT_DATETIME_FORMAT"
    )
    assert f"{when} · {cast.event.name} · <strong>New</strong>" in html
    assert html.count("<strong>New</strong>") == 1  # not the report someone else took
    assert "TAKENCANARY" not in html
