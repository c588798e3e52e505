"""Roster use cases: joining, acknowledging, shifts and briefings."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.staff.models import BriefingAttendance, DutyShift, Membership


class RosterError(Exception):
    """A roster change that cannot be made; the message is for the person who tried."""


@transaction.atomic
def add_member(event, user, *, role, phone="", badge_number="", shown_publicly=False) -> Membership:
    if Membership.objects.filter(event=event, user=user).exists():
        raise RosterError(_("%(user)s is already on this event's staff.") % {"user": user})
    return Membership.objects.create(
        event=event,
        user=user,
        role=role,
        phone=phone,
        badge_number=badge_number,
        shown_publicly=shown_publicly,
    )


@transaction.atomic
def acknowledge(membership, *, coc_version: int, guide_version: int) -> Membership:
    """Record that the member read the code of conduct and handling guide they were shown.

    The versions shown must still be current, so nobody acknowledges text
    that changed while they were reading it.
    """
    event = membership.event
    if (coc_version, guide_version) != (
        event.code_of_conduct_version,
        event.handling_guide_version,
    ):
        raise RosterError(_("The code of conduct or handling guide changed; please read it again."))
    membership.coc_acknowledged_version = coc_version
    membership.guide_acknowledged_version = guide_version
    membership.acknowledged_at = timezone.now()
    membership.save(
        update_fields=["coc_acknowledged_version", "guide_acknowledged_version", "acknowledged_at"]
    )
    return membership


@transaction.atomic
def add_shift(membership, *, starts_at, ends_at) -> DutyShift:
    if ends_at <= starts_at:
        raise RosterError(_("A shift must end after it starts."))
    return DutyShift.objects.create(membership=membership, starts_at=starts_at, ends_at=ends_at)


@transaction.atomic
def record_attendance(briefing, membership, *, by) -> BriefingAttendance:
    if membership.event_id != briefing.event_id:
        raise RosterError(_("That person is not on this event's staff."))
    attendance, _created = BriefingAttendance.objects.get_or_create(
        briefing=briefing, membership=membership, defaults={"recorded_by": by}
    )
    return attendance
