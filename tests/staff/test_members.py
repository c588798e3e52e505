"""Changing who is on the roster re-checks their access to the event's cases, in the
roster service itself: per-person keys are taken away, the server re-scans."""

import pytest
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.events.models import OrganiserAdmin
from ombud.notify.models import OutboxMessage
from ombud.staff import services
from ombud.staff.models import Briefing, BriefingAttendance, Membership, Role
from ombud.vault.models import KeyWrap, RecipientKind
from tests import factories

pytestmark = pytest.mark.django_db


def _wraps(case) -> set[str]:
    return set(
        KeyWrap.objects.filter(keyring=case.pk, recipient_kind=RecipientKind.PERSON).values_list(
            "recipient_ref", flat=True
        )
    )


def _revoked(person) -> int:
    return Entry.objects.filter(action="case.access_revoked", actor_id=str(person.pk)).count()


def test_leaving_the_event_or_the_case_role_takes_the_wraps_away(cast):
    case = factories.file_report(cast.event).report.case
    services.remove_member(cast.memberships["responder"], by=cast.admin)
    assert str(cast.responder.pk) not in _wraps(case)
    services.change_member(cast.memberships["responder_off"], by=cast.admin, role=Role.STAFF)
    assert str(cast.responder_off.pk) not in _wraps(case)
    assert _wraps(case) == {str(cast.lead.pk), str(cast.lead2.pk)}
    assert _revoked(cast.admin) == 2


def test_a_deactivated_member_loses_their_wraps_and_a_phone_change_keeps_them(cast):
    case = factories.file_report(cast.event).report.case
    since = Entry.objects.order_by("-seq").values_list("seq", flat=True).first()
    services.change_member(cast.memberships["lead2"], by=cast.admin, phone="+49 30 5555")
    assert str(cast.lead2.pk) in _wraps(case)
    services.change_member(cast.memberships["lead2"], by=cast.admin, active=False)
    assert str(cast.lead2.pk) not in _wraps(case)
    actions = Entry.objects.filter(actor_id=str(cast.admin.pk), seq__gt=since).values_list(
        "action", flat=True
    )
    assert list(actions.order_by("seq")) == [
        "staff.member_changed",
        "staff.member_deactivated",
        "case.access_revoked",
    ]


def test_a_badge_given_later_to_a_member_named_by_badge_recuses_them(cast):
    factories.server_mode(cast.event)  # the server reads, so it re-checks at once
    submission = factories.file_report(cast.event, who="badge Z-999")
    services.change_member(cast.memberships["lead2"], by=cast.admin, badge_number="Z-999")
    assert "lead2" in factories.recused(submission.report.case)


def test_a_new_name_that_a_report_already_names_recuses_them(client, cast):
    factories.server_mode(cast.event)
    submission = factories.file_report(cast.event, who="Rita Renamed")
    factories.sign_in(client, cast.admin)
    page = f"/staff/manage/events/conf/staff/{cast.memberships['responder'].pk}/"
    response = client.post(
        page,
        {
            "action": "person",
            "person-first_name": "Rita",
            "person-last_name": "Renamed",
            "person-email": "rita@example.org",
        },
    )
    assert response.status_code == 302
    cast.responder.refresh_from_db()
    assert (cast.responder.last_name, cast.responder.email) == ("Renamed", "rita@example.org")
    assert "responder" in factories.recused(submission.report.case)
    assert Entry.objects.filter(
        action="staff.person_changed", object_id=str(cast.responder.pk)
    ).exists()


def test_someone_who_works_for_another_organisation_is_not_renamed_here(client, cast):
    factories.member(cast.other_event, cast.responder, Role.STAFF)
    factories.sign_in(client, cast.admin)
    page = f"/staff/manage/events/conf/staff/{cast.memberships['responder'].pk}/"
    assert 'value="person"' not in client.get(page).content.decode()
    response = client.post(
        page,
        {
            "action": "person",
            "person-first_name": "Mallory",
            "person-last_name": "Takeover",
            "person-email": "mallory@example.org",
        },
    )
    assert response.status_code == 404
    cast.responder.refresh_from_db()
    assert cast.responder.email == "responder@example.org"
    with pytest.raises(services.RosterError, match="another organisation"):
        services.change_person(cast.memberships["responder"], by=cast.admin, email="m@x.org")


def test_an_admin_of_both_organisations_may_rename_them(cast):
    factories.member(cast.other_event, cast.responder, Role.STAFF)
    OrganiserAdmin.objects.create(organisation=cast.other_event.organisation, user=cast.admin)
    services.change_person(cast.memberships["responder"], by=cast.admin, first_name="Rika")
    cast.responder.refresh_from_db()
    assert cast.responder.first_name == "Rika"


def test_a_bad_address_is_refused_on_the_page_and_nothing_changes(client, cast):
    factories.sign_in(client, cast.admin)
    page = f"/staff/manage/events/conf/staff/{cast.memberships['responder'].pk}/"
    response = client.post(
        page,
        {"action": "person", "person-first_name": "Rita", "person-email": "not-an-address"},
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    cast.responder.refresh_from_db()
    assert cast.responder.email == "responder@example.org"


def test_removing_someone_from_the_member_page(client, cast):
    membership = cast.memberships["desk"]
    factories.sign_in(client, cast.admin)
    response = client.post(
        f"/staff/manage/events/conf/staff/{membership.pk}/", {"action": "remove"}
    )
    assert response["Location"] == "/staff/manage/events/conf/staff/"
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert Entry.objects.filter(action="staff.member_removed", object_id=str(membership.pk))


def test_an_invitation_needs_an_address_to_go_to(client, cast):
    cast.desk.email = ""
    cast.desk.save()
    factories.sign_in(client, cast.admin)
    response = client.post(
        f"/staff/manage/events/conf/staff/{cast.memberships['desk'].pk}/",
        {"action": "invite"},
        follow=True,
    )
    assert "has no e-mail address" in response.content.decode()
    assert not OutboxMessage.objects.filter(kind="staff_invite").exists()
    assert not Entry.objects.filter(action="staff.invitation_sent").exists()


def test_the_member_form_saves_through_the_service_with_one_entry_per_kind_of_change(client, cast):
    membership = cast.memberships["staff"]
    factories.sign_in(client, cast.admin)
    response = client.post(
        f"/staff/manage/events/conf/staff/{membership.pk}/",
        {
            "action": "member",
            "member-role": "desk",
            "member-phone": "+49 30 7777",
            "member-badge_number": "",
            "member-active": "on",
        },
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.phone, membership.shown_publicly) == (
        "desk",
        "+49 30 7777",
        False,
    )
    entries = Entry.objects.filter(object_id=str(membership.pk), actor_id=str(cast.admin.pk))
    assert sorted(entries.values_list("action", flat=True)) == [
        "staff.member_changed",
        "staff.role_changed",
    ]


def test_attendance_of_someone_deactivated_since_is_kept(client, cast):
    briefing = Briefing.objects.create(event=cast.event, held_at=timezone.now())
    left = cast.memberships["staff"]
    BriefingAttendance.objects.create(briefing=briefing, membership=left)
    services.change_member(left, by=cast.admin, active=False)
    factories.sign_in(client, cast.admin)
    desk = cast.memberships["desk"].pk
    client.post(
        "/staff/manage/events/conf/briefings/",
        {"action": "attendance", "briefing": briefing.pk, "attended": [str(desk), "junk"]},
    )
    assert set(briefing.attendance.values_list("membership_id", flat=True)) == {left.pk, desk}
