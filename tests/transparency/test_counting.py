"""What the tables count: cases by category, first channel and outcome, and times."""

from datetime import timedelta

import pytest

from ombud.transparency import counting
from tests import factories
from tests.transparency.conftest import case

pytestmark = pytest.mark.django_db


def test_each_case_counts_once_in_every_table(cast):
    event = cast.event
    first = case(event, channel="web", categories=["Harassment"])
    # A second report into the same case (by phone, later) does not count again.
    factories_report = first.reports.get()
    factories_report.pk = None
    factories_report.id = None
    factories_report.channel = "phone"
    factories_report.receipt_digest = "another"
    factories_report.received_at += timedelta(hours=1)
    factories_report.save()
    case(event, channel="sms", categories=["Harassment", "Stalking or following"])
    case(event, channel="hotline")
    numbers = counting.count_events([event])[event.pk]
    cells = numbers.cells
    assert cells[("total", "")] == 3
    assert cells[("category", "Harassment")] == 1
    assert cells[("category", counting.SEVERAL)] == 1
    assert cells[("category", counting.NONE)] == 1
    assert cells[("category", "Stalking or following")] == 0
    assert (cells[("channel", "web")], cells[("channel", "phone")]) == (1, 0)
    assert (cells[("channel", "sms")], cells[("channel", "hotline")]) == (1, 1)
    for dimension in ("category", "channel", "outcome"):
        assert sum(v for (d, _k), v in cells.items() if d == dimension) == 3, dimension


def test_outcomes_are_the_final_consequence_closed_or_open(cast):
    event = cast.event
    case(event, status="decided", decided="written", by=cast.lead)
    case(event, status="closed", decided="ban", by=cast.lead)
    case(event, status="closed")
    case(event, status="investigating")
    case(event)
    cells = counting.count_events([event])[event.pk].cells
    assert cells[("outcome", "written")] == 1
    assert cells[("outcome", "ban")] == 1
    assert cells[("outcome", counting.CLOSED_NO_DECISION)] == 1
    assert cells[("outcome", counting.OPEN)] == 2
    assert cells[("outcome", "no_action")] == 0


def test_times_are_median_and_90th_percentile_in_whole_hours(cast):
    event = cast.event
    for hours in (1, 2, 3, 4, 30):
        case(event, ack_after=timedelta(hours=hours, minutes=10))
    case(event)  # never acknowledged: not counted in the time
    numbers = counting.count_events([event])[event.pk]
    assert counting.times(numbers.ack_hours, 5) == {"median": 3, "p90": 30}
    assert counting.times(numbers.ack_hours, 6) is None, "fewer cases than the threshold"
    assert counting.times([0.2] * 5, 5) == {"median": 0, "p90": 0}


def test_the_organisation_year_adds_up_its_events_by_category_name(cast):
    second = factories.event("spring", org=cast.event.organisation)
    case(cast.event, categories=["Harassment"])
    case(second, categories=["Harassment"], channel="mail")
    events = counting.family_events(cast.event.organisation_id, cast.event.starts_on.year)
    assert cast.event in events
    assert second in events
    assert cast.other_event not in events, "another organisation's event"
    total = counting.combine(list(counting.count_events(events).values()))
    assert total.cells[("total", "")] == 2
    assert total.cells[("category", "Harassment")] == 2
    assert total.cells[("channel", "mail")] == 1
