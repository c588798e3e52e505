"""Keeping ``Event.roster_version`` true, whatever path changed the roster."""

from django.db.models import F

from ombud.events.models import Event
from ombud.staff.models import DutyShift, Membership


def bump_roster(event_ids) -> None:
    Event.objects.filter(pk__in=list(event_ids)).update(roster_version=F("roster_version") + 1)


def roster_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    if isinstance(instance, DutyShift):
        bump_roster(
            Membership.objects.filter(pk=instance.membership_id).values_list("event_id", flat=True)
        )
    else:
        bump_roster([instance.event_id])


# Who a person is and whether they may be alerted; a login or a new password is not.
_ROSTER_FIELDS = {"username", "first_name", "last_name", "email", "is_active"}


def person_changed(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    # A new name or e-mail can make someone match reports: every event they staff.
    if raw or created or (update_fields is not None and not _ROSTER_FIELDS & set(update_fields)):
        return
    bump_roster(Membership.objects.filter(user=instance).values_list("event_id", flat=True))


def key_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    bump_roster(
        Membership.objects.filter(user_id=instance.user_id).values_list("event_id", flat=True)
    )
