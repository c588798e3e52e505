"""Expunge dates: from the policy, the outcome and the closing day; extended by leads."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ombud.decisions.models import BanEntry
from ombud.records.models import RetentionPolicy
from ombud.records.services import expiry
from tests.records.helpers import ban_entry, closed_case, keyed, open_case

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=BERLIN)


def test_months_are_added_to_the_calendar_day_clamped_to_the_month():
    assert expiry.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert expiry.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert expiry.add_months(date(2026, 8, 15), 6) == date(2027, 2, 15)
    assert expiry.add_months(date(2026, 12, 1), 12) == date(2027, 12, 1)


def test_an_open_case_has_no_expunge_date(cast):
    case = open_case(keyed(cast))
    found = expiry.expiry_of(case)
    assert (found.on, found.rule) == (None, expiry.OPEN)


@pytest.mark.parametrize(
    ("consequence", "rule", "months"),
    [
        (None, expiry.NO_ACTION, 6),
        ("no_action", expiry.NO_ACTION, 6),
        ("verbal", expiry.WARNING, 12),
        ("written", expiry.WARNING, 12),
        ("removal", expiry.REMOVAL, 24),
    ],
)
def test_each_outcome_keeps_its_case_the_policys_months_after_closing(
    cast, consequence, rule, months
):
    closed_on = timezone.localdate() - timedelta(days=3)
    case = closed_case(keyed(cast), _at(closed_on), consequence)
    found = expiry.expiry_of(case)
    assert found.rule == rule
    assert found.on == expiry.add_months(closed_on, months)


def test_the_organisations_own_policy_decides(cast):
    RetentionPolicy.objects.create(organisation=cast.event.organisation, months_no_action=2)
    closed_on = timezone.localdate() - timedelta(days=3)
    case = closed_case(keyed(cast), _at(closed_on))
    assert expiry.expiry_of(case).on == expiry.add_months(closed_on, 2)


def test_a_ban_keeps_its_case_until_it_ends_plus_the_policys_months(cast):
    today = timezone.localdate()
    ends = today + timedelta(days=400)
    case = closed_case(keyed(cast), _at(today), "ban", ban_until=ends)
    found = expiry.expiry_of(case)
    assert (found.rule, found.on) == (expiry.BAN, expiry.add_months(ends, 12))


def test_a_permanent_ban_keeps_its_case_until_it_is_lifted(cast):
    today = timezone.localdate()
    case = closed_case(keyed(cast), _at(today), "ban")
    assert (expiry.expiry_of(case).on, expiry.expiry_of(case).rule) == (
        None,
        expiry.BAN_IN_FORCE,
    )
    lifted = timezone.now() - timedelta(days=10)
    BanEntry.objects.filter(pk=ban_entry(case).pk).update(lifted_at=lifted)
    found = expiry.expiry_of(case)
    assert (found.rule, found.on) == (expiry.BAN, expiry.add_months(lifted.date(), 12))


def test_the_closing_day_is_the_events_own(cast):
    # 23:30 UTC on 31 March is already 1 April in Berlin.
    late = datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    case = closed_case(keyed(cast), late)
    assert expiry.expiry_of(case).on == date(2026, 10, 1)
