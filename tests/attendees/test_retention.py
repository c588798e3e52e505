"""Lists are deleted a set number of days after the event's last day, by the worker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.attendees.models import PeopleList, Person, PersonTag
from ombud.attendees.services import purge_expired, retention
from ombud.audit.models import Entry
from ombud.notify import worker
from ombud.records.models import RetentionPolicy
from tests import factories
from tests.attendees.conftest import import_pretix

pytestmark = pytest.mark.django_db


def _ended(event, days_ago):
    today = timezone.localdate()
    event.starts_on = today - timedelta(days=days_ago + 2)
    event.ends_on = today - timedelta(days=days_ago)
    event.save(update_fields=["starts_on", "ends_on"])


def test_a_list_goes_the_given_days_after_the_event_and_not_before(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    now = timezone.now()
    _ended(cast.event, 30)
    assert purge_expired(now, days_after_event=30) == 0
    _ended(cast.event, 31)
    assert purge_expired(now, days_after_event=45) == 0
    assert purge_expired(now, days_after_event=30) == 1
    assert not PeopleList.objects.exists()
    assert not Person.objects.exists()
    assert not PersonTag.objects.exists()
    entry = Entry.objects.get(action="attendees.purged")
    assert entry.actor_kind == "system"
    assert entry.event_id == cast.event.pk


def test_other_events_lists_stay(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    import_pretix(cast.other_event, ticketing, cast.outsider)
    _ended(cast.event, 60)
    _ended(cast.other_event, 2)
    assert purge_expired(timezone.now()) == 1
    assert list(PeopleList.objects.values_list("event", flat=True)) == [cast.other_event.pk]


def test_the_worker_purges_as_the_organisations_retention_policy_says(cast, ticketing):
    assert any(getattr(t, "task", None) is retention.purge_due for t in worker.periodic_tasks)
    import_pretix(cast.event, ticketing, cast.lead)
    _ended(cast.event, 10)
    assert retention.purge_due(timezone.now()) == 0  # default 30 days
    RetentionPolicy.objects.create(organisation_id=cast.event.organisation_id, attendee_list_days=7)
    assert retention.purge_due(timezone.now()) == 1


def test_a_purge_can_be_for_one_organisation(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    _ended(cast.event, 60)
    other = factories.organisation("elsewhere")
    assert purge_expired(timezone.now(), 30, organisation_id=other.pk) == 0
    assert purge_expired(timezone.now(), 30, organisation_id=cast.event.organisation_id) == 1
