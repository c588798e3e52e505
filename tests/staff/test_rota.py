from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from ombud.staff import rota
from ombud.staff.models import DutyShift, Role
from tests import factories

pytestmark = pytest.mark.django_db


# A two-day event a month from now: nothing here depends on which day today is.
FIRST_DAY = timezone.localdate() + timedelta(days=30)


def _day(number):
    return FIRST_DAY + timedelta(days=number - 1)


@pytest.fixture
def event(db):
    return factories.event(
        "rota-conf",
        starts_on=_day(1),
        ends_on=_day(2),
        time_zone="America/New_York",
        duty_hours_start=time(9, 0),
        duty_hours_end=time(17, 0),
    )


def _at(event, day, hour, minute=0):
    return datetime.combine(_day(day), time(hour, minute), tzinfo=event.zone)


def _shift(event, username, role, starts, ends, *, acknowledged=True):
    member = factories.member(
        event, factories.user(username), role, on_duty=False, acknowledged=acknowledged
    )
    DutyShift.objects.create(membership=member, starts_at=starts, ends_at=ends)
    return member


def test_gaps_are_the_duty_hours_no_acknowledged_responder_or_lead_covers(event):
    _shift(event, "early", Role.RESPONDER, _at(event, 1, 8), _at(event, 1, 12))
    _shift(event, "late", Role.LEAD, _at(event, 1, 13), _at(event, 1, 18))
    _shift(event, "plainstaff", Role.STAFF, _at(event, 1, 12), _at(event, 1, 13))
    _shift(
        event, "unacked", Role.RESPONDER, _at(event, 2, 9), _at(event, 2, 17), acknowledged=False
    )
    gaps = [(g.starts_at, g.ends_at) for g in rota.gaps(event)]
    assert gaps == [
        (_at(event, 1, 12), _at(event, 1, 13)),  # only plain staff then
        (_at(event, 2, 9), _at(event, 2, 17)),  # only someone who never acknowledged
    ]


def test_csv_import_adds_shifts_in_the_events_time_zone(event):
    factories.member(event, factories.user("ana"), Role.RESPONDER, on_duty=False)
    text = f"username,starts,ends\nana, {_day(1)} 09:00, {_day(1)} 17:00\n\n"
    assert rota.import_csv(event, text, by=factories.SET_UP) == 1
    shift = DutyShift.objects.get()
    assert (shift.starts_at, shift.ends_at) == (_at(event, 1, 9), _at(event, 1, 17))


def test_a_bad_csv_line_refuses_the_whole_import_and_says_why(event):
    factories.member(event, factories.user("ana"), Role.RESPONDER, on_duty=False)
    text = "\n".join(
        [
            "ana,2026-06-01 09:00,2026-06-01 17:00",
            "nobody,2026-06-01 09:00,2026-06-01 17:00",
            "ana,tomorrow,later",
            "ana,2026-06-01 17:00,2026-06-01 09:00",
            "ana,9999-06-01 09:00,9999-06-01 10:00",
            "just one cell",
        ]
    )
    with pytest.raises(rota.RotaImportError) as excinfo:
        rota.import_csv(event, text, by=factories.SET_UP)
    problems = excinfo.value.problems
    assert [p.split(":")[0] for p in problems] == ["Line 2", "Line 3", "Line 4", "Line 5", "Line 6"]
    assert "not on this event's staff" in problems[0]
    assert not DutyShift.objects.exists()


def test_leads_and_organiser_admins_manage_the_rota_others_get_404(client, cast):
    for persona in ("responder", "staff", "desk", "outsider", "unacked"):
        factories.sign_in(client, getattr(cast, persona))
        assert client.get("/staff/events/conf/rota/").status_code == 404
    for persona in ("lead", "admin"):
        factories.sign_in(client, getattr(cast, persona))
        assert client.get("/staff/events/conf/rota/").status_code == 200


def test_a_lead_adds_imports_and_removes_shifts_from_the_rota_page(client, cast):
    factories.sign_in(client, cast.lead)
    desk = cast.memberships["desk"]
    added = client.post(
        "/staff/events/conf/rota/",
        {
            "action": "shift",
            "shift-member": desk.pk,
            "shift-starts_at": f"{_day(1)}T09:00",
            "shift-ends_at": f"{_day(1)}T12:00",
        },
    )
    assert added.status_code == 302
    imported = client.post(
        "/staff/events/conf/rota/",
        {"action": "import", "import-csv": f"desker,{_day(2)} 09:00,{_day(2)} 12:00"},
    )
    assert imported.status_code == 302
    refused = client.post(
        "/staff/events/conf/rota/", {"action": "import", "import-csv": "ghost,x,y"}
    )
    assert refused.status_code == 400
    assert "ghost is not on this event" in refused.content.decode()
    assert DutyShift.objects.filter(membership=desk).count() == 3
    outsider_shift = DutyShift.objects.get(membership=cast.memberships["outsider"])
    assert (
        client.post(
            "/staff/events/conf/rota/", {"action": "delete", "shift": outsider_shift.pk}
        ).status_code
        == 404
    )
    own = DutyShift.objects.filter(membership=desk).order_by("-starts_at").first()
    assert (
        client.post("/staff/events/conf/rota/", {"action": "delete", "shift": own.pk}).status_code
        == 302
    )
    assert not DutyShift.objects.filter(pk=own.pk).exists()


def test_the_dashboard_shows_leads_who_is_on_duty_and_the_gaps(client, cast):
    factories.sign_in(client, cast.lead)
    html = client.get("/staff/").content.decode()
    assert "On duty now at Conf" in html
    assert "Rita Responder" in html
    assert 'href="/staff/events/conf/rota/"' in html
