"""Roster use cases: who is on an event's staff, in which role, when on duty, and
what they acknowledged and attended. Each writes its audit entry in its own
transaction; a change to who someone is or whether they work cases re-checks
their access to the event's cases there and then (``_recheck``)."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.accounts.services import send_password_link
from ombud.audit import services as audit
from ombud.cases import rules as case_rules
from ombud.cases.services import grants, keytrust, recusal
from ombud.events.models import VaultMode
from ombud.notify.models import OutboxMessage
from ombud.staff import rules
from ombud.staff.models import CASE_ROLES, Briefing, BriefingAttendance, DutyShift, Membership
from ombud.staff.queries import briefing_roster

# What an organiser admin edits on a membership, and what a person is named by.
MEMBER_FIELDS = ("role", "phone", "badge_number", "shown_publicly", "active")
PERSON_FIELDS = ("first_name", "last_name", "email")


class RosterError(Exception):
    """A roster change that cannot be made; the message is for the person who tried."""


def _recheck(membership, *, by, identity_changed: bool) -> None:
    """What a roster change does to someone's access to the event's cases.

    Per-person keys: the server cannot read the cases, so whoever may no longer
    read them - or may now be named in them - loses their wraps, and whoever
    grants access next checks them first (cases.services.grants). Server key:
    the cases are checked for them at once (recusal.rescan_for_member).
    """
    event = membership.event
    works_cases = membership.active and membership.role in CASE_ROLES
    if event.vault_mode == VaultMode.PERSONAL and (identity_changed or not works_cases):
        grants.revoke(membership.user_id, event, by=by)
    if identity_changed:
        recusal.rescan_for_member(membership)


@transaction.atomic
def add_member(
    event, user, *, by, role, phone="", badge_number="", shown_publicly=False
) -> Membership:
    if Membership.objects.filter(event=event, user=user).exists():
        raise RosterError(_("%(user)s is already on this event's staff.") % {"user": user})
    membership = Membership.objects.create(
        event=event,
        user=user,
        role=role,
        phone=phone,
        badge_number=badge_number,
        shown_publicly=shown_publicly,
    )
    audit.record(by, "staff.member_added", membership, event_id=event.pk)
    # Whoever joins is checked against the event's cases before they can open any.
    _recheck(membership, by=by, identity_changed=True)
    holds_key = bool(getattr(by, "vault_private", b""))  # a person, signed in with a key
    if role in CASE_ROLES and holds_key and case_rules.may_confirm_keys(by, event):
        # Whoever puts someone on the response team vouches for their key as it is now
        # (vault.trust); a later change of key is confirmed on the dashboard, by its
        # fingerprint, never by editing the roster.
        keytrust.endorse(user, by=by)
    return membership


@transaction.atomic
def add_person(
    event, *, by, username, first_name="", last_name="", email="", **membership
) -> tuple[Membership, bool]:
    """Put someone on the roster: an existing account by its username (its name and
    e-mail stay as they are), or a new account without a password, invited by e-mail
    to choose one. Returns the membership and whether the account is new."""
    user_model = get_user_model()
    person = user_model.objects.filter(username=username).first()
    created = person is None
    if created:
        person = user_model(
            username=username, first_name=first_name, last_name=last_name, email=email
        )
        person.set_unusable_password()
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:
            raise RosterError(_("That username was taken a moment ago.")) from None
        audit.record(by, "staff.account_created", person, event_id=event.pk)
    joined = add_member(event, person, by=by, **membership)
    if created:
        invite(joined, by=by)
    return joined, created


@transaction.atomic
def invite(membership, *, by) -> None:
    """E-mail the person a link to choose a password (again)."""
    person = membership.user
    if not person.is_active:
        raise RosterError(_("%(user)s's account is disabled.") % {"user": person})
    if not person.email:
        raise RosterError(_("%(user)s has no e-mail address.") % {"user": person})
    send_password_link(
        person,
        kind=OutboxMessage.Kind.STAFF_INVITE,
        event_name=membership.event.name,
        language=membership.event.default_language,
    )
    audit.record(by, "staff.invitation_sent", membership, event_id=membership.event_id)


@transaction.atomic
def change_member(membership, *, by, **changes) -> Membership:
    """Change any of ``MEMBER_FIELDS``; one audit entry per kind of change."""
    unknown = set(changes) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"not a membership setting: {', '.join(sorted(unknown))}")
    current = (
        Membership.objects.select_for_update().select_related("event", "user").get(pk=membership.pk)
    )
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, changes[name])
    current.save(update_fields=changed)
    event_id = current.event_id
    if "role" in changed:
        audit.record(by, "staff.role_changed", current, event_id=event_id)
    if "active" in changed:
        action = "staff.member_reactivated" if current.active else "staff.member_deactivated"
        audit.record(by, action, current, event_id=event_id)
    if {"phone", "badge_number", "shown_publicly"} & set(changed):
        audit.record(by, "staff.member_changed", current, event_id=event_id)
    # A badge is something a report can name them by.
    _recheck(current, by=by, identity_changed="badge_number" in changed)
    return current


@transaction.atomic
def remove_member(membership, *, by) -> None:
    """Take someone off the event's staff, with their shifts and attendance."""
    audit.record(by, "staff.member_removed", membership, event_id=membership.event_id)
    grants.revoke(membership.user_id, membership.event, by=by)
    membership.delete()


@transaction.atomic
def change_person(membership, *, by, **changes):
    """Change the name or e-mail of a person on ``membership``'s roster (an organiser
    admin of every organisation they work for: ``rules.may_change_identity``).

    A report may name them by the new name or address: every roster they are on is
    re-checked, as when they joined.
    """
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"not a name or e-mail field: {', '.join(sorted(unknown))}")
    person = get_user_model().objects.select_for_update().get(pk=membership.user_id)
    if not rules.may_change_identity(by, person):
        raise RosterError(
            _("%(user)s also works for another organisation: only they can change this.")
            % {"user": person}
        )
    changed = [name for name, value in changes.items() if getattr(person, name) != value]
    if not changed:
        return person
    for name in changed:
        setattr(person, name, changes[name])
    person.save(update_fields=changed)  # staff.signals bumps each of their rosters
    audit.record(by, "staff.person_changed", person, event_id=membership.event_id)
    for each in Membership.objects.filter(user=person).select_related("event", "user"):
        _recheck(each, by=by, identity_changed=True)
    return person


@transaction.atomic
def acknowledge(membership, *, by, coc_version: int, guide_version: int) -> Membership:
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
    audit.record(by, "staff.acknowledged", membership, event_id=event.pk)
    return membership


@transaction.atomic
def add_shift(membership, *, by, starts_at, ends_at) -> DutyShift:
    if ends_at <= starts_at:
        raise RosterError(_("A shift must end after it starts."))
    shift = DutyShift.objects.create(membership=membership, starts_at=starts_at, ends_at=ends_at)
    audit.record(by, "staff.shift_added", shift, event_id=membership.event_id)
    return shift


@transaction.atomic
def remove_shift(shift, *, by) -> None:
    event_id = Membership.objects.values_list("event_id", flat=True).get(pk=shift.membership_id)
    audit.record(by, "staff.shift_removed", shift, event_id=event_id)
    shift.delete()


@transaction.atomic
def add_briefing(event, *, by, title, held_at, location="") -> Briefing:
    briefing = Briefing.objects.create(event=event, title=title, held_at=held_at, location=location)
    audit.record(by, "staff.briefing_added", briefing, event_id=event.pk)
    return briefing


@transaction.atomic
def set_attendance(briefing, present: set[int], *, by) -> None:
    """Of the people the briefing page lists, exactly those in ``present`` (membership
    ids) attended; attendance of anyone not listed (deactivated since) is kept."""
    present = set(present)
    recorded = {a.membership_id: a for a in briefing.attendance.all()}
    for membership in briefing_roster(briefing.event):
        attendance = recorded.get(membership.pk)
        if membership.pk in present and attendance is None:
            attendance = BriefingAttendance.objects.create(
                briefing=briefing,
                membership=membership,
                recorded_by=None if isinstance(by, audit.Actor) else by,
            )
            audit.record(by, "staff.attendance_recorded", attendance, event_id=briefing.event_id)
        elif membership.pk not in present and attendance is not None:
            audit.record(by, "staff.attendance_removed", attendance, event_id=briefing.event_id)
            attendance.delete()
