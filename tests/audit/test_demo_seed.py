"""The demo world is set up through the audited roster and event services, by Ombud
itself, and seeding it again (each `ombud demo` start) changes only what is due."""

import pytest
from django.utils import timezone

from ombud.audit.models import ActorKind, Entry
from ombud.cases.models import Category
from ombud.demo import seed
from ombud.staff.models import BriefingAttendance, Membership

pytestmark = pytest.mark.django_db

PASSWORD = "demo password for tests"


def test_the_demo_is_seeded_through_the_services_and_again_without_duplicates():
    event = seed.seed(PASSWORD)
    members = Membership.objects.filter(event=event)
    assert members.count() == len(seed.PEOPLE)
    assert all(m.is_current for m in members)
    assert members.on_duty(timezone.now()).count() == len(seed.PEOPLE)
    assert BriefingAttendance.objects.filter(membership__event=event).count() == len(seed.PEOPLE)
    assert Category.objects.filter(event=event).count() == len(Category.DEFAULTS)
    by_action = {}
    for action, kind in Entry.objects.values_list("action", "actor_kind"):
        by_action.setdefault(action, set()).add(kind)
    assert by_action == {
        "event.created": {ActorKind.SYSTEM},
        "event.texts_changed": {ActorKind.SYSTEM},
        "staff.member_added": {ActorKind.SYSTEM},
        "staff.acknowledged": {ActorKind.USER},  # each person acknowledges for themselves
        "staff.shift_added": {ActorKind.SYSTEM},
        "staff.briefing_added": {ActorKind.SYSTEM},
        "staff.attendance_recorded": {ActorKind.SYSTEM},
        # The admin vouches for the team's keys, and each of them back (vault.trust).
        "key.endorsed": {ActorKind.USER},
    }

    written = Entry.objects.count()
    seed.seed(PASSWORD)
    assert Entry.objects.count() == written
    assert members.count() == len(seed.PEOPLE)
    assert sum(m.shifts.count() for m in members) == len(seed.PEOPLE)
