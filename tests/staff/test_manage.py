"""Organiser admins manage events and rosters; nobody else reaches those pages,
and the pages never show report content."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from ombud.notify.models import OutboxMessage
from ombud.staff.models import Briefing, DutyShift, Membership
from tests import factories

pytestmark = pytest.mark.django_db

MANAGE_URLS = [
    "/staff/manage/",
    "/staff/manage/org/conf-org/",
    "/staff/manage/org/conf-org/new-event/",
    "/staff/manage/events/conf/",
    "/staff/manage/events/conf/staff/",
    "/staff/manage/events/conf/briefings/",
]


@pytest.mark.parametrize("url", MANAGE_URLS)
@pytest.mark.parametrize("persona", ["lead", "responder", "staff", "desk", "outsider"])
def test_only_organiser_admins_reach_the_manage_pages(client, cast, url, persona):
    factories.sign_in(client, getattr(cast, persona))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", MANAGE_URLS)
def test_organiser_admins_reach_them_and_see_no_report_content(client, cast, url):
    factories.file_report(cast.event, what_happened="ADMIN-MUST-NOT-SEE")
    factories.sign_in(client, cast.admin)
    response = client.get(url)
    assert response.status_code == 200
    assert "ADMIN-MUST-NOT-SEE" not in response.content.decode()


def test_organiser_admin_cannot_open_cases(client, cast):
    case = factories.file_report(cast.event).report.case
    factories.sign_in(client, cast.admin)
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 404
    assert case.code_name not in client.get("/staff/").content.decode()


def test_admin_of_another_organisation_gets_404(client, cast):
    other_admin = factories.user("otheradmin")
    from ombud.events.models import OrganiserAdmin  # noqa: PLC0415

    OrganiserAdmin.objects.create(organisation=cast.other_event.organisation, user=other_admin)
    factories.sign_in(client, other_admin)
    assert client.get("/staff/manage/events/conf/").status_code == 404
    assert client.get("/staff/manage/events/other-conf/").status_code == 200


def test_adding_a_new_person_creates_an_account_and_queues_an_invitation(client, cast):
    factories.sign_in(client, cast.admin)
    response = client.post(
        "/staff/manage/events/conf/staff/",
        {
            "username": "newbie",
            "first_name": "Nia",
            "last_name": "Newbie",
            "email": "nia@example.org",
            "role": "responder",
            "phone": "+49 30 9999",
            "badge_number": "S-9",
            "shown_publicly": "on",
        },
    )
    assert response.status_code == 302
    newbie = get_user_model().objects.get(username="newbie")
    assert not newbie.has_usable_password()
    membership = Membership.objects.get(user=newbie)
    assert (membership.role, membership.is_acknowledged) == ("responder", False)
    invite = OutboxMessage.objects.get(kind="staff_invite")
    assert invite.address == "nia@example.org"
    assert "/staff/password/set/" in invite.context["url"]


def test_roster_form_errors_are_shown_and_nothing_is_added(client, cast):
    factories.sign_in(client, cast.admin)
    response = client.post(
        "/staff/manage/events/conf/staff/",
        {"username": "nomail", "role": "staff", "phone": "call me"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "needs an e-mail address" in html
    assert "Enter a phone number" in html
    assert not get_user_model().objects.filter(username="nomail").exists()
    duplicate = client.post(
        "/staff/manage/events/conf/staff/", {"username": "lead", "role": "staff"}
    )
    assert "already on this event" in duplicate.content.decode()


def test_shifts_are_entered_in_the_events_time_zone(client, cast):
    factories.sign_in(client, cast.admin)
    membership = cast.memberships["desk"]
    # A day well after the factory's shift (which runs around now), whatever today is.
    day = timezone.localdate(timezone=cast.event.zone) + timedelta(days=30)
    response = client.post(
        f"/staff/manage/events/conf/staff/{membership.pk}/",
        {
            "action": "shift",
            "shift-starts_at": f"{day:%Y-%m-%d}T09:00",
            "shift-ends_at": f"{day:%Y-%m-%d}T13:00",
        },
    )
    assert response.status_code == 302
    shift = DutyShift.objects.filter(membership=membership).order_by("-starts_at").first()
    assert shift.starts_at == datetime.combine(day, time(9, 0), tzinfo=cast.event.zone)
    backwards = client.post(
        f"/staff/manage/events/conf/staff/{membership.pk}/",
        {
            "action": "shift",
            "shift-starts_at": f"{day:%Y-%m-%d}T13:00",
            "shift-ends_at": f"{day:%Y-%m-%d}T09:00",
        },
    )
    assert backwards.status_code == 400
    assert "must end after it starts" in backwards.content.decode()


def test_a_shift_of_another_event_cannot_be_deleted_through_this_one(client, cast):
    outsider_shift = DutyShift.objects.get(membership=cast.memberships["outsider"])
    factories.sign_in(client, cast.admin)
    url = (
        f"/staff/manage/events/conf/staff/{cast.memberships['outsider'].pk}/shifts/"
        f"{outsider_shift.pk}/delete/"
    )
    assert client.post(url).status_code == 404
    assert DutyShift.objects.filter(pk=outsider_shift.pk).exists()


def test_briefing_attendance_is_recorded(client, cast):
    factories.sign_in(client, cast.admin)
    client.post(
        "/staff/manage/events/conf/briefings/",
        {
            "action": "briefing",
            "briefing-title": "Onsite meeting",
            "briefing-held_at": "2026-12-01T08:30",
            "briefing-location": "Green room",
        },
    )
    briefing = Briefing.objects.get()
    attended = [cast.memberships["staff"].pk, cast.memberships["desk"].pk]
    client.post(
        "/staff/manage/events/conf/briefings/",
        {"action": "attendance", "briefing": briefing.pk, "attended": attended},
    )
    assert set(briefing.attendance.values_list("membership_id", flat=True)) == set(attended)


def test_event_settings_validate_and_bump_the_guide_version(client, cast):
    factories.sign_in(client, cast.admin)
    data = {
        "name": "Conf",
        "slug": "conf",
        "starts_on": "2026-12-01",
        "ends_on": "2026-11-30",
        "time_zone": "Mars/Olympus",
        "emergency_number": "call the police",
        "handling_guide": "New guide",
        "ack_minutes": 10,
        "urgent_ack_minutes": 2,
        "duty_hours_start": "08:00",
        "duty_hours_end": "20:00",
        "vault_mode": "personal",
        "ack_promise_hours": 1,
        "ack_promise_hours_after": 24,
        "update_promise_days": 7,
        "languages": ["en", "de"],
        "default_language": "en",
    }
    response = client.post("/staff/manage/events/conf/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "is not a known time zone" in html
    assert "cannot be before the first" in html
    data.update(ends_on="2026-12-03", time_zone="Europe/Berlin", emergency_number="112")
    assert client.post("/staff/manage/events/conf/", data).status_code == 302
    cast.event.refresh_from_db()
    assert (cast.event.handling_guide_version, cast.event.emergency_number) == (2, "112")
