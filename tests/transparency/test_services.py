"""Drafting, publishing and withdrawing reports: who may, what is frozen, what is audited,
and that the organisation-year's published tables together give no small number away."""

import pytest

from ombud.audit.models import Entry
from ombud.transparency import services
from ombud.transparency.models import TransparencyReport
from ombud.transparency.services import ReportRefused
from ombud.transparency.suppression import leaks
from tests import factories
from tests.transparency.conftest import cases

pytestmark = pytest.mark.django_db


def _cells(snapshot) -> dict:
    return {(d, k): (v, mark) for d, k, v, mark in snapshot["cells"]}


def _published(report, by, prose="What we saw this year."):
    services.save_text(report, prose=prose, threshold=report.threshold, by=by)
    return services.publish(report, by=by)


def test_a_lead_drafts_writes_publishes_and_unpublishes_each_audited(cast):
    cases(cast.event, 6, channel="web")
    report = services.compute(services.for_event(cast.event), by=cast.lead)
    assert _cells(report.draft)[("total", "")] == (6, None)
    assert not report.is_published
    services.save_text(report, prose="We heard you.", threshold=5, by=cast.lead)
    services.publish(report, by=cast.lead)
    report.refresh_from_db()
    assert report.is_published
    assert report.public == report.draft
    assert report.public_prose == "We heard you."
    services.unpublish(report, by=cast.lead)
    report.refresh_from_db()
    assert (report.public, report.published_at) == (None, None)
    assert report.draft, "the draft stays"
    actions = list(
        Entry.objects.filter(object_type="transparencyreport", object_id=str(report.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "transparency.drafted",
        "transparency.text_changed",
        "transparency.published",
        "transparency.unpublished",
    ]
    assert set(
        Entry.objects.filter(action__startswith="transparency.").values_list("actor_id", flat=True)
    ) == {str(cast.lead.pk)}


def test_the_numbers_are_frozen_until_counted_again(cast):
    cases(cast.event, 6)
    report = services.compute(services.for_event(cast.event), by=cast.lead)
    cases(cast.event, 3)
    report.refresh_from_db()
    assert _cells(report.draft)[("total", "")] == (6, None)
    report = services.compute(report, by=cast.lead)
    assert _cells(report.draft)[("total", "")] == (9, None)


@pytest.mark.parametrize("who", ["responder", "staff", "desk", "admin", "outsider"])
def test_only_the_events_leads_draft_or_publish_its_report(cast, who):
    cases(cast.event, 6)
    person = getattr(cast, who)
    with pytest.raises(ReportRefused):
        services.compute(services.for_event(cast.event), by=person)
    report = services.compute(services.for_event(cast.event), by=cast.lead)
    services.save_text(report, prose="Text.", threshold=5, by=cast.lead)
    with pytest.raises(ReportRefused):
        services.publish(report, by=person)
    with pytest.raises(ReportRefused):
        services.save_text(report, prose="Mine now.", threshold=5, by=person)
    _published(report, cast.lead)
    with pytest.raises(ReportRefused):
        services.unpublish(report, by=person)
    report.refresh_from_db()
    assert report.is_published
    assert report.prose == "What we saw this year."


def test_the_organisation_year_is_the_organiser_admins(cast):
    cases(cast.event, 6)
    year = cast.event.starts_on.year
    for person in (cast.lead, cast.responder, cast.outsider):
        with pytest.raises(ReportRefused):
            services.compute(services.for_organisation(cast.event.organisation, year), by=person)
    report = services.compute(
        services.for_organisation(cast.event.organisation, year), by=cast.admin
    )
    assert report.event is None
    assert report.draft["events"] == [cast.event.name]


def test_nothing_is_published_without_numbers_and_text(cast):
    report = services.for_event(cast.event)
    with pytest.raises(ReportRefused):
        services.publish(report, by=cast.lead)
    services.compute(report, by=cast.lead)
    with pytest.raises(ReportRefused, match="text"):
        services.publish(report, by=cast.lead)
    assert not TransparencyReport.objects.exclude(published_at=None).exists()


def test_an_event_with_two_reports_shows_no_number(cast):
    cases(cast.event, 2, decided="verbal", by=cast.lead, status="decided")
    report = services.compute(services.for_event(cast.event), by=cast.lead)
    cells = _cells(report.draft)
    assert all(value is None and mark for value, mark in cells.values()), cells
    assert report.draft["times"] == {"acknowledge": None, "decision": None}


def test_a_new_threshold_counts_again(cast):
    cases(cast.event, 7, channel="web")
    report = services.compute(services.for_event(cast.event), by=cast.lead)
    assert _cells(report.draft)[("total", "")] == (7, None)
    report = services.save_text(report, prose="", threshold=10, by=cast.lead)
    assert _cells(report.draft)[("total", "")] == (None, "small")
    assert report.draft["threshold"] == 10


def _family_world(cast):
    """Two events of one organisation-year: A (web 20, text 6, mail 8) and
    B (web 30, mail 11). B's report is never published."""
    a = cast.event
    b = factories.event("second", org=a.organisation)
    cases(a, 20, channel="web")
    cases(a, 6, channel="sms")
    cases(a, 8, channel="mail")
    cases(b, 30, channel="web")
    cases(b, 11, channel="mail")
    return a, b


def _tables(cast):
    """The organisation-year as a reader sees it now."""
    tables, _true = services.family(
        cast.event.organisation_id, cast.event.starts_on.year, threshold=5
    )
    return tables


def test_drafts_computed_side_by_side_cannot_both_be_published(cast):
    """The year's draft (computed alone) and A's (computed alone) are each safe, but
    together they give away that B had no text message: B = year - A, all small to 0."""
    a, _b = _family_world(cast)
    year = a.starts_on.year
    organisation = services.compute(services.for_organisation(a.organisation, year), by=cast.admin)
    services.save_text(organisation, prose="The year.", threshold=5, by=cast.admin)
    event = services.compute(services.for_event(a), by=cast.lead)
    _published(event, cast.lead)
    assert not services.is_safe_with_family(organisation)
    with pytest.raises(ReportRefused, match="Count the numbers again"):
        services.publish(organisation, by=cast.admin)
    organisation.refresh_from_db()
    assert not organisation.is_published
    # Counted again with A's report as published, it is safe to publish.
    services.compute(organisation, by=cast.admin)
    services.publish(organisation, by=cast.admin)
    assert not leaks(_tables(cast))


def test_the_year_published_first_constrains_the_event_drafted_after(cast):
    a, _b = _family_world(cast)
    organisation = services.for_organisation(a.organisation, a.starts_on.year)
    services.compute(organisation, by=cast.admin)
    _published(organisation, cast.admin)
    event = services.compute(services.for_event(a), by=cast.lead)
    _published(event, cast.lead)
    assert not leaks(_tables(cast))


def test_a_page_loaded_earlier_writes_nothing_back(cast):
    """Two leads on the page: one publishes, the other counts again from the page they
    loaded before: the report stays published (and audited as such)."""
    cases(cast.event, 6)
    report = services.compute(services.for_event(cast.event), by=cast.lead)
    seen_by_second = TransparencyReport.objects.get(pk=report.pk)
    _published(report, cast.lead)
    services.compute(seen_by_second, by=cast.lead2)
    report.refresh_from_db()
    assert report.is_published
    assert report.public_prose == "What we saw this year."


def test_publish_publishes_the_version_previewed(cast):
    cases(cast.event, 6)
    report = services.compute(services.for_event(cast.event), by=cast.lead)
    report = services.save_text(report, prose="Seen.", threshold=5, by=cast.lead)
    previewed = report.version
    services.save_text(report, prose="Changed meanwhile.", threshold=5, by=cast.lead2)
    with pytest.raises(ReportRefused, match="meanwhile"):
        services.publish(report, by=cast.lead, expected_version=previewed)
    report.refresh_from_db()
    assert not report.is_published
    services.publish(report, by=cast.lead, expected_version=report.version)


def test_a_second_first_draft_changes_the_first_rather_than_making_another(cast):
    cases(cast.event, 6)
    first = services.for_event(cast.event)
    second = services.for_event(cast.event)
    services.compute(first, by=cast.lead)
    services.save_text(second, prose="Also mine.", threshold=5, by=cast.lead2)
    assert TransparencyReport.objects.count() == 1
    assert TransparencyReport.objects.get().prose == "Also mine."
