"""Attendee and speaker lists are kept only while they help: deleted a set number of
days after the event's last day, as the organisation's retention policy says
(records.RetentionPolicy.attendee_list_days, default 30)."""

from datetime import timedelta

from django.db import transaction

from ombud.attendees.models import PeopleList, Person, PersonTag
from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.records.services.policy import policies_for

DEFAULT_DAYS_AFTER_EVENT = 30


def purge_expired(
    now, days_after_event: int = DEFAULT_DAYS_AFTER_EVENT, *, organisation_id=None
) -> int:
    """Delete the lists of events (of one organisation, if given) whose last day was more
    than ``days_after_event`` days before ``now``; returns how many lists were deleted.
    Each is audited."""
    cutoff = now.date() - timedelta(days=days_after_event)
    due = PeopleList.objects.filter(event__ends_on__lt=cutoff)
    if organisation_id is not None:
        due = due.filter(event__organisation_id=organisation_id)
    deleted = 0
    for people_list in due:
        with transaction.atomic():
            audit.record(
                Actor.system(), "attendees.purged", people_list, event_id=people_list.event_id
            )
            PersonTag.objects.filter(person__people_list=people_list).delete()
            Person.objects.filter(people_list=people_list).delete()
            people_list.delete()
        deleted += 1
    return deleted


def purge_due(now) -> int:
    """The worker's periodic task: each organisation's lists go as its retention policy
    says (records.RetentionPolicy.attendee_list_days)."""
    organisations = set(PeopleList.objects.values_list("event__organisation_id", flat=True))
    policies = policies_for(organisations)
    return sum(
        purge_expired(now, policies[org].attendee_list_days, organisation_id=org)
        for org in organisations
    )
