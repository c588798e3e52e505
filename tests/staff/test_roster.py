"""The roster intake reads outside its write transaction, and why that is safe."""

import fcntl
import os

import pytest

from ombud.events.models import Event
from ombud.notify.models import OutboxMessage
from ombud.staff import roster
from ombud.staff.models import DutyShift, Role
from tests import factories

pytestmark = pytest.mark.django_db


def _version(event):
    return Event.objects.values_list("roster_version", flat=True).get(pk=event.pk)


def test_every_roster_change_bumps_the_version(cast):
    event = cast.event
    seen = [_version(event)]

    def changed():
        seen.append(_version(event))
        return seen[-1] > seen[-2]

    newcomer = factories.user("newcomer", "Nina", "Newcomer")
    membership = factories.member(event, newcomer, Role.RESPONDER, on_duty=False)
    assert changed()
    membership.badge_number = "B-1"
    membership.save(update_fields=["badge_number"])
    assert changed()
    shift = DutyShift.objects.filter(membership=cast.memberships["lead"]).first() or (
        factories.member(event, factories.user("late"), Role.STAFF).shifts.get()
    )
    shift.delete()
    assert changed()
    newcomer.last_name = "Renamed"
    newcomer.save()
    assert changed()
    membership.delete()
    assert changed()
    other = _version(cast.other_event)
    factories.member(event, factories.user("another"), Role.STAFF)
    assert _version(cast.other_event) == other


def test_a_cached_roster_is_reused_until_the_version_moves(cast, django_assert_num_queries):
    event = Event.objects.get(pk=cast.event.pk)
    first = roster.for_event(event)
    with django_assert_num_queries(0):
        assert roster.for_event(event) is first
    factories.member(event, factories.user("joiner", "Jo", "Iner"), Role.RESPONDER)
    event.refresh_from_db()
    again = roster.for_event(event)
    assert again is not first
    assert "joiner" in {m.username for m in again.members}


def test_a_roster_change_after_intake_read_it_is_caught_inside_the_transaction(cast):
    # Intake decides from the roster it read; someone joins before it commits.
    stale_event = Event.objects.select_related("organisation").get(pk=cast.event.pk)
    roster.for_event(stale_event)
    joiner = factories.user("joiner", "Jo", "Iner")
    factories.member(cast.event, joiner, Role.LEAD)
    submission = factories.file_report(stale_event, who="Jo Iner")
    assert "joiner" in factories.recused(submission.report.case)
    assert not OutboxMessage.objects.filter(recipient=joiner).exists()


def test_an_acknowledgement_change_reaches_alerts_at_once(cast):
    factories.file_report(cast.event)
    assert not OutboxMessage.objects.filter(recipient=cast.unacked).exists()
    from ombud.staff.services import acknowledge  # noqa: PLC0415

    event = cast.event
    acknowledge(
        cast.memberships["unacked"],
        by=cast.unacked,
        coc_version=event.code_of_conduct_version,
        guide_version=event.handling_guide_version,
    )
    factories.file_report(Event.objects.select_related("organisation").get(pk=event.pk))
    assert OutboxMessage.objects.filter(recipient=cast.unacked).exists()


def test_sqlite_writers_queue_on_a_file_lock_held_exactly_for_the_transaction(tmp_path):
    from django.db.utils import ConnectionHandler  # noqa: PLC0415

    database = {"ENGINE": "ombud.db.sqlite3", "NAME": str(tmp_path / "lock.sqlite3")}
    handler = ConnectionHandler({"default": database})
    wrapper = handler["default"]
    try:
        wrapper.ensure_connection()
        probe = os.open(f"{database['NAME']}.writelock", os.O_RDWR)

        def locked() -> bool:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(probe, fcntl.LOCK_UN)
            return False

        assert not locked()
        # What transaction.atomic() calls on SQLite to open a transaction.
        wrapper._start_transaction_under_autocommit()
        assert locked()
        wrapper.commit()
        assert not locked()
        wrapper._start_transaction_under_autocommit()
        assert locked()
        wrapper.rollback()
        assert not locked()
        os.close(probe)
    finally:
        wrapper.close()
