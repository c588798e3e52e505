"""Audited services around the cases: the roster, events, the organisation's recovery
key, alert channels, decision rules and the registration desk."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from ombud.decisions.services import approval_rules, banlist
from ombud.events import services as events
from ombud.events.models import Event
from ombud.intake.channels import configure
from ombud.intake.models import IntakeChannel
from ombud.notify import alert_channels
from ombud.notify.models import AlertChannel
from ombud.staff import rota
from ombud.staff import services as staff
from ombud.staff.models import Briefing, BriefingAttendance, DutyShift, Membership, Role
from tests import factories
from tests.audit.catalogue import Call, audited, filed, fresh

# The roster


@audited(
    staff.add_person,
    "staff.account_created",
    "staff.member_added",
    "staff.invitation_sent",
    case="new account",
)
def add_a_new_person(cast):
    return Call(
        lambda: staff.add_person(
            cast.event,
            by=cast.admin,
            username="newbie",
            first_name="Nia",
            last_name="Newbie",
            email="nia@example.org",
            role=Role.RESPONDER,
        ),
        cast.admin,
    )


@audited(staff.add_person, "staff.member_added", case="existing account")
def add_an_existing_person(cast):
    factories.user("joiner", "Jo", "Iner")
    return Call(
        lambda: staff.add_person(cast.event, by=cast.admin, username="joiner", role=Role.STAFF),
        cast.admin,
    )


@audited(
    staff.add_member,
    "staff.member_added",
    "case.scanned@system",
    "recusal.created@system",
    "key.endorsed",  # the admin who adds a responder vouches for their key
    case="named in a report, server key",
)
def add_someone_a_report_names(cast):
    factories.server_mode(cast.event)  # the server reads: the cases are checked at once
    filed(cast, who="Nina Newcomer")
    newcomer = factories.user("newcomer", "Nina", "Newcomer")
    return Call(
        lambda: staff.add_member(cast.event, newcomer, by=cast.admin, role=Role.RESPONDER),
        cast.admin,
    )


def _change(cast, **changes):
    filed(cast)  # sealed to the responder's key among others
    membership = cast.memberships["responder"]
    return Call(lambda: staff.change_member(membership, by=cast.admin, **changes), cast.admin)


@audited(staff.change_member, "staff.role_changed", "case.access_revoked", case="role")
def demote_a_responder(cast):
    return _change(cast, role=Role.STAFF)


@audited(staff.change_member, "staff.member_deactivated", "case.access_revoked", case="deactivate")
def deactivate_a_responder(cast):
    return _change(cast, active=False)


@audited(staff.change_member, "staff.member_reactivated", case="reactivate")
def reactivate_a_responder(cast):
    Membership.objects.filter(pk=cast.memberships["responder"].pk).update(active=False)
    return _change(cast, active=True)


@audited(staff.change_member, "staff.member_changed", "case.access_revoked", case="badge")
def give_a_new_badge(cast):
    return _change(cast, badge_number="B-99")


@audited(staff.change_member, "staff.member_changed", case="phone")
def give_a_new_phone(cast):
    return _change(cast, phone="+49 30 3333")


@audited(staff.remove_member, "staff.member_removed", "case.access_revoked")
def remove_a_responder(cast):
    filed(cast)
    membership = cast.memberships["responder"]
    return Call(lambda: staff.remove_member(fresh(membership), by=cast.admin), cast.admin)


@audited(staff.change_person, "staff.person_changed", "case.access_revoked")
def rename_a_responder(cast):
    filed(cast)
    membership = cast.memberships["responder"]
    return Call(
        lambda: staff.change_person(membership, by=cast.admin, last_name="Renamed"), cast.admin
    )


@audited(staff.invite, "staff.invitation_sent")
def invite_again(cast):
    membership = cast.memberships["unacked"]
    return Call(lambda: staff.invite(fresh(membership), by=cast.admin), cast.admin)


@audited(staff.acknowledge, "staff.acknowledged")
def acknowledge_the_code(cast):
    membership, event = cast.memberships["unacked"], cast.event
    return Call(
        lambda: staff.acknowledge(
            fresh(membership),
            by=cast.unacked,
            coc_version=event.code_of_conduct_version,
            guide_version=event.handling_guide_version,
        ),
        cast.unacked,
    )


def _day(cast, days=30):
    return timezone.localdate(timezone=cast.event.zone) + timedelta(days=days)


@audited(staff.add_shift, "staff.shift_added")
def add_a_shift(cast):
    starts = datetime.combine(_day(cast), time(9, 0), tzinfo=cast.event.zone)
    return Call(
        lambda: staff.add_shift(
            cast.memberships["desk"],
            by=cast.lead,
            starts_at=starts,
            ends_at=starts + timedelta(hours=4),
        ),
        cast.lead,
    )


@audited(staff.remove_shift, "staff.shift_removed")
def remove_a_shift(cast):
    shift = DutyShift.objects.filter(membership=cast.memberships["desk"]).get()
    return Call(lambda: staff.remove_shift(fresh(shift), by=cast.lead), cast.lead)


@audited(rota.import_csv, "staff.shift_added", "staff.shift_added")
def import_the_rota(cast):
    day = _day(cast)
    text = f"desker,{day} 09:00,{day} 12:00\nstaffer,{day} 12:00,{day} 15:00\n"
    return Call(lambda: rota.import_csv(cast.event, text, by=cast.admin), cast.admin)


@audited(staff.add_briefing, "staff.briefing_added")
def add_a_briefing(cast):
    held_at = datetime.combine(_day(cast, 1), time(8, 30), tzinfo=cast.event.zone)
    return Call(
        lambda: staff.add_briefing(cast.event, by=cast.admin, title="Onsite", held_at=held_at),
        cast.admin,
    )


@audited(staff.set_attendance, "staff.attendance_recorded", "staff.attendance_removed")
def record_who_attended(cast):
    briefing = Briefing.objects.create(event=cast.event, held_at=timezone.now())
    BriefingAttendance.objects.create(briefing=briefing, membership=cast.memberships["staff"])
    desk = cast.memberships["desk"]
    return Call(lambda: staff.set_attendance(briefing, {desk.pk}, by=cast.admin), cast.admin)


# Events and the organisation


@audited(events.save_event, "event.created", case="new event")
def create_an_event(cast):
    def create():
        today = timezone.localdate()
        event = Event(
            organisation=cast.event.organisation,
            slug="new-conf",
            name="New Conf",
            starts_on=today,
            ends_on=today + timedelta(days=2),
        )
        return events.save_event(event, by=cast.admin)

    return Call(create, cast.admin)


def _edit_event(event, by, **changes):
    def edit():
        edited = fresh(event)
        for name, value in changes.items():
            setattr(edited, name, value)
        return events.save_event(edited, by=by)

    return Call(edit, by)


@audited(events.save_event, "event.settings_changed", case="settings")
def change_the_emergency_number(cast):
    return _edit_event(cast.event, cast.admin, emergency_number="112")


@audited(events.save_event, "event.settings_changed", "event.vault_mode_changed", case="vault mode")
def move_to_per_person_keys(cast):
    event = factories.server_mode(factories.event("small", org=cast.event.organisation))
    return _edit_event(event, cast.admin, vault_mode="personal")


@audited(events.save_event_texts, "event.texts_changed")
def write_the_code_of_conduct_in_german(cast):
    event = fresh(cast.event)
    event.languages, event.default_language = "en,de", "en"
    event.save(update_fields=["languages", "default_language"])
    return Call(
        lambda: events.save_event_texts(
            event, "de", {"code_of_conduct_text": "Seid nett zueinander."}, by=cast.admin
        ),
        cast.admin,
    )


@audited(events.save_organisation, "organisation.settings_changed")
def rename_the_organisation(cast):
    organisation = cast.event.organisation

    def edit():
        edited = fresh(organisation)
        edited.name = "Renamed Org"
        return events.save_organisation(edited, by=cast.admin)

    return Call(edit, cast.admin)


@audited(events.create_recovery_key, "recovery_key.created", "key.endorsed")
def make_the_recovery_key(cast):
    organisation = cast.event.organisation
    return Call(lambda: events.create_recovery_key(fresh(organisation), by=cast.admin), cast.admin)


@audited(events.use_recovery_key, "recovery_key.used", "case.recovered")
def use_the_recovery_key(cast):
    organisation = cast.event.organisation
    text = events.create_recovery_key(organisation, by=cast.admin)
    filed(cast)  # sealed to the recovery key too
    return Call(
        lambda: events.use_recovery_key(fresh(organisation), text, cast.lead, by=cast.admin),
        cast.admin,
    )


@audited(
    events.use_recovery_key,
    "recovery_key.used",
    "case.recovered",
    "recovery_key.confirmed",
    case="stored key failing its certificate",
)
def confirm_the_recovery_key_by_using_it(cast):
    """A new key file (or a key written in by someone else) leaves the stored recovery
    key uncertified: the printed key proves itself by opening the cases sealed to it."""
    organisation = cast.event.organisation
    text = events.create_recovery_key(organisation, by=cast.admin)
    filed(cast)
    type(organisation).objects.filter(pk=organisation.pk).update(recovery_certificate="")
    return Call(
        lambda: events.use_recovery_key(fresh(organisation), text, cast.lead, by=cast.admin),
        cast.admin,
    )


# A staff member's own alert channels


def _channel(cast, **extra) -> AlertChannel:
    return alert_channels.add_channel(
        by=cast.responder,
        kind="email",
        label="rita.phone@example.org",
        config={"target": "rita.phone@example.org"},
        is_primary=False,
        **extra,
    )


@audited(alert_channels.add_channel, "channel.added")
def add_a_channel(cast):
    return Call(lambda: _channel(cast), cast.responder)


def _on_channel(cast, service, **extra):
    channel = _channel(cast)
    return Call(lambda: service(fresh(channel), by=cast.responder, **extra), cast.responder)


@audited(alert_channels.make_primary, "channel.made_primary")
def make_a_channel_primary(cast):
    return _on_channel(cast, alert_channels.make_primary)


@audited(alert_channels.set_enabled, "channel.disabled", case="pause")
def pause_a_channel(cast):
    return _on_channel(cast, alert_channels.set_enabled, enabled=False)


@audited(alert_channels.set_enabled, "channel.enabled", case="resume")
def resume_a_channel(cast):
    call = _on_channel(cast, alert_channels.set_enabled, enabled=True)
    AlertChannel.objects.update(enabled=False)
    return call


@audited(alert_channels.remove_channel, "channel.removed")
def remove_a_channel(cast):
    return _on_channel(cast, alert_channels.remove_channel)


@audited(alert_channels.send_test, "channel.test_sent")
def test_a_channel(cast):
    return _on_channel(cast, alert_channels.send_test)


# Decision rules and the registration desk


@audited(approval_rules.save, "decision_rules.changed")
def change_the_decision_rules(cast):
    chosen = {"written": (2, True)}
    return Call(lambda: approval_rules.save(cast.event, chosen, by=cast.admin), cast.admin)


@audited(banlist.desk_check, "banlist.checked")
def check_at_the_desk(cast):
    return Call(lambda: banlist.desk_check(cast.event, "José Ávila", by=cast.desk), cast.desk)


@audited(configure.save_channel, "event.channel_changed")
def add_a_reporting_address(cast):
    def add():
        channel = IntakeChannel(
            event=cast.event, kind="mail", provider="imap", address="conduct@conf.example"
        )
        return configure.save_channel(
            channel, {"imap_url": "imaps://u:AUDITCANARY@imap.example/INBOX"}, by=cast.admin
        )

    return Call(add, cast.admin)
