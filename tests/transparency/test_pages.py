"""The staff page and the public pages: 404 until published, CSV and JSON shapes,
what is typed survives a mistake, and no name, code name or date ever comes out."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.cases.models import Case
from ombud.cases.services import categories, work
from ombud.decisions.services import decide
from ombud.transparency import services
from ombud.transparency.models import TransparencyReport
from tests import factories
from tests.transparency.conftest import cases

pytestmark = pytest.mark.django_db


def _publish(event, lead, prose="The numbers of the year, and what we learned."):
    report = services.compute(services.for_event(event), by=lead)
    services.save_text(report, prose=prose, threshold=5, by=lead)
    return services.publish(report, by=lead)


def _url(event, fmt=""):
    return f"/e/{event.slug}/transparency/" + (f"?format={fmt}" if fmt else "")


def test_the_public_page_is_a_404_until_published_and_after_unpublishing(cast, client):
    cases(cast.event, 6)
    assert client.get(_url(cast.event)).status_code == 404
    assert client.get("/e/no-such-event/transparency/").status_code == 404
    report = services.compute(services.for_event(cast.event), by=cast.lead)
    services.save_text(report, prose="Draft text.", threshold=5, by=cast.lead)
    for fmt in ("", "csv", "json"):
        assert client.get(_url(cast.event, fmt)).status_code == 404, "a draft is not public"
    assert "transparency" not in client.get(f"/e/{cast.event.slug}/").content.decode()
    services.publish(report, by=cast.lead)
    page = client.get(_url(cast.event))
    assert page.status_code == 200
    assert 'dir="auto"' in page.content.decode()
    assert "Draft text." in page.content.decode()
    assert 'id="quick-exit"' in page.content.decode()
    assert _url(cast.event) in client.get(f"/e/{cast.event.slug}/").content.decode()
    services.unpublish(report, by=cast.lead)
    assert client.get(_url(cast.event)).status_code == 404
    assert client.get(_url(cast.event, "csv")).status_code == 404


def test_the_csv_has_one_table_per_section_each_with_its_header(cast, client):
    cases(cast.event, 12, channel="web", categories=["Harassment"])
    cases(cast.event, 2, channel="sms")
    _publish(cast.event, cast.lead)
    answer = client.get(_url(cast.event, "csv"))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    year = cast.event.starts_on.year
    assert answer["Content-Disposition"] == (
        f'attachment; filename="{cast.event.slug}-transparency-{year}.csv"'
    )
    blocks = answer.content.decode().split("\r\n\r\n")
    tables = [list(csv.reader(io.StringIO(block))) for block in blocks]
    assert [t[0] for t in tables] == [
        ["Reports", "Cases"],
        ["Category", "Cases"],
        ["Channel", "Cases"],
        ["Outcome", "Cases"],
        ["Time", "Median hours", "90th percentile hours"],
    ]
    assert tables[0][1] == ["Cases reported", "14"]
    by_channel = dict(tables[2][1:])
    assert by_channel["Text message"] == "<5"
    assert by_channel["Web form"] in {"12", "withheld"}
    assert dict(tables[1][1:])["Harassment"] in {"12", "withheld"}
    assert all(len(row) == 2 for t in tables[:4] for row in t)


def test_the_json_says_what_the_page_says(cast, client):
    cases(cast.event, 2)
    _publish(cast.event, cast.lead, prose="Two reports.")
    data = client.get(_url(cast.event, "json")).json()
    assert data["text"] == "Two reports."
    assert data["tables"]["total"] == [["Cases reported", {"fewer_than": 5}]]
    assert data["hours"] == {"acknowledge": None, "decision": None}


def test_an_event_with_two_reports_shows_fewer_than_5_everywhere(cast, client):
    cases(cast.event, 2, channel="web")
    _publish(cast.event, cast.lead)
    text = client.get(_url(cast.event, "csv")).content.decode()
    counts = [row[1] for row in csv.reader(io.StringIO(text)) if len(row) == 2]
    assert counts
    assert set(counts) - {"Cases"} == {"<5"}
    page = client.get(_url(cast.event)).content.decode()
    assert "fewer than 5" in page
    assert not re.search(r"<td>\d+</td>", page), "no number shown"


def test_staff_pages_are_for_the_events_leads_only(cast, client):
    url = f"/staff/events/{cast.event.slug}/transparency/"
    assert client.get(url).status_code == 302  # to sign in
    for person in (cast.responder, cast.staff, cast.admin, cast.outsider, cast.desk):
        factories.sign_in(client, person)
        assert client.get(url).status_code == 404, person.username
        assert client.post(url, {"action": "compute"}).status_code == 404
    assert not TransparencyReport.objects.exists()
    factories.sign_in(client, cast.lead)
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "compute"}).status_code == 302
    assert TransparencyReport.objects.get().draft


def test_the_year_page_is_for_organiser_admins(cast, client):
    year = cast.event.starts_on.year
    url = f"/staff/manage/org/{cast.event.organisation.slug}/transparency/{year}/"
    for person in (cast.lead, cast.responder, cast.outsider):
        factories.sign_in(client, person)
        assert client.get(url).status_code == 404
    factories.sign_in(client, cast.admin)
    assert client.get(url).status_code == 200
    empty_year = f"/staff/manage/org/{cast.event.organisation.slug}/transparency/{year - 30}/"
    assert client.get(empty_year).status_code == 404, "a year without events"
    assert (
        client.post(url, {"action": "save", "prose": "Our year.", "threshold": "5"}).status_code
        == 302
    )
    assert client.post(url, {"action": "publish"}).status_code == 302
    public = client.get(f"/o/{cast.event.organisation.slug}/transparency/{year}/")
    assert public.status_code == 200
    assert "Our year." in public.content.decode()


def test_a_mistake_keeps_what_was_typed(cast, client):
    factories.sign_in(client, cast.lead)
    url = f"/staff/events/{cast.event.slug}/transparency/"
    typed = "Dear community — this year… ﻿مرحبا"
    answer = client.post(url, {"action": "save", "prose": typed, "threshold": "2"})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "error-summary" in page
    assert typed in page
    assert not TransparencyReport.objects.exists()


def test_a_post_without_a_known_button_is_a_clear_400(cast, client):
    factories.sign_in(client, cast.lead)
    url = f"/staff/events/{cast.event.slug}/transparency/"
    for data in ({}, {"action": "explode"}):
        answer = client.post(url, data)
        assert answer.status_code == 400
        assert "page&#x27;s buttons" in answer.content.decode()
    assert not TransparencyReport.objects.exists()


def test_publishing_without_text_is_refused_with_a_reason(cast, client):
    factories.sign_in(client, cast.lead)
    url = f"/staff/events/{cast.event.slug}/transparency/"
    client.post(url, {"action": "compute"})
    answer = client.post(url, {"action": "publish"})
    assert answer.status_code == 400
    assert "error-summary" in answer.content.decode()
    assert not TransparencyReport.objects.get().is_published


def test_the_preview_is_exactly_what_is_published(cast, client):
    cases(cast.event, 9, channel="web")
    factories.sign_in(client, cast.lead)
    url = f"/staff/events/{cast.event.slug}/transparency/"
    client.post(url, {"action": "save", "prose": "Preview me.", "threshold": "5"})
    preview = client.get(url).content.decode()
    client.post(url, {"action": "publish"})
    public = client.get(_url(cast.event)).content.decode()

    def tables(page):
        return re.findall(r"<tbody>.*?</tbody>", page, flags=re.S)

    assert tables(preview) == tables(public)
    assert tables(public)


CANARY = "TRANSPCANARY"


def test_no_name_code_name_content_or_date_is_ever_published(cast, client):
    """Real reports, through the intake, with the canary in every field; a code name
    with the canary; worked, decided and categorised by named people. Nothing of it
    comes out of the HTML, the CSV or the JSON."""
    event = cast.event
    categories.set_for_event(event, ["Harassment", "Other"], by=cast.lead)
    fields = {name: f"{CANARY} {name} José Ávila" for name in factories.FIELD_LIMITS}
    for n in range(6):
        submission = factories.file_report(event, **fields)
        case = submission.report.case
        Case.objects.filter(pk=case.pk).update(code_name=f"{CANARY}-CODE-{n}")
        case.refresh_from_db()
        work.change_status(case, "acknowledged", by=cast.lead, expected_version=case.version)
        case.refresh_from_db()
        categories.set_for_case(case, [event.categories.get(name="Harassment").pk], by=cast.lead)
    factories.declared(case, cast.lead, cast.lead2)
    factories.holding_key(cast.lead)
    decision = decide.propose(
        case,
        by=cast.lead,
        consequence="no_action",
        texts={k: f"{CANARY} {k}" for k in decide.TEXT_FIELDS},
        identity={"name": f"{CANARY} Respondent", "badge": "B-99", "email": ""},
    )
    case.refresh_from_db()
    decide.make_final(decision, by=cast.lead, expected_version=case.version)
    _publish(event, cast.lead)
    answers = [client.get(_url(event, fmt)).content.decode() for fmt in ("", "csv", "json")]
    names = [cast.lead, cast.lead2, cast.responder, cast.admin]
    days = {
        (timezone.now() - timedelta(days=d)).date() for d in range(3)
    }  # today and the days around it, as the cases were filed and worked
    for text in answers:
        assert CANARY not in text
        assert "José" not in text
        for person in names:
            assert person.get_full_name() not in text
            assert f">{person.username}<" not in text
        for day in days:
            assert day.isoformat() not in text
            assert day.strftime("%B %-d") not in text
            assert day.strftime("%b. %-d") not in text
    # And the numbers are there: six cases, all acknowledged within the hour.
    assert "Cases reported,6" in answers[1]
