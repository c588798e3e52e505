import pytest

from tests import factories
from tests.markup import only_the_static_script

pytestmark = pytest.mark.django_db


def test_event_page_carries_the_procedure(client, cast):
    event = cast.event
    event.emergency_number = "112"
    event.venue_security_contact = "Security desk by the entrance"
    event.staff_recognition = "Staff wear yellow STAFF shirts"
    event.save()
    html = client.get("/e/conf/").content.decode()
    assert 'href="tel:112"' in html
    assert "Security desk by the entrance" in html
    assert "Staff wear yellow STAFF shirts" in html
    assert "Be excellent to each other." in html
    assert 'href="/e/conf/report/"' in html
    assert "do not make it public" in html
    assert only_the_static_script(html)


def test_event_page_lists_only_acknowledged_listed_staff_on_duty_now(client, cast):
    html = client.get("/e/conf/").content.decode()
    duty = html[html.index("Staff on duty now") : html.index("Code of conduct</h2>")]
    assert "Rita Responder" in duty  # listed, acknowledged, on shift
    assert "+49 30 2222" in duty
    assert "Sam Staffer" in duty
    assert "Lena Lead" not in duty  # listed but not on shift now
    assert "Uma Unacked" not in duty  # on shift and listed, but has not acknowledged
    assert "Lou Second" not in duty  # on shift, but not listed publicly
    assert "Oscar" not in duty  # another event


def test_a_changed_code_of_conduct_keeps_staff_on_duty_and_asks_them_to_read_it(client, cast):
    from ombud.events.services import save_event  # noqa: PLC0415
    from ombud.notify.models import OutboxMessage  # noqa: PLC0415

    event = cast.event
    event.code_of_conduct_text = "A new version."
    save_event(event, by=cast.admin)
    assert event.code_of_conduct_version == 2
    asked = set(
        OutboxMessage.objects.filter(kind="policy_changed").values_list("address", flat=True)
    )
    assert "responder@example.org" in asked
    assert "outsider@example.org" not in asked
    # A typo fixed mid-event must not silence alerts or hide staff.
    assert "Rita Responder" in client.get("/e/conf/").content.decode()
    factories.file_report(event)
    assert OutboxMessage.objects.filter(kind="new_report", address="lead@example.org").exists()

    factories.sign_in(client, cast.responder)
    assert "changed. You stay on duty" in client.get("/staff/").content.decode()
    page = client.get("/staff/events/conf/acknowledge/")
    assert "A new version." in page.content.decode()
    done = client.post(
        "/staff/events/conf/acknowledge/",
        {"coc_version": 2, "guide_version": 1, "confirm": "on"},
    )
    assert done.status_code == 302
    assert "changed. You stay on duty" not in client.get("/staff/").content.decode()


def test_staff_who_never_acknowledged_are_not_on_duty(client, cast):
    from ombud.notify.models import OutboxMessage  # noqa: PLC0415

    factories.file_report(cast.event, danger_now=True)
    assert not OutboxMessage.objects.filter(recipient=cast.unacked).exists()
    assert "Uma Unacked" not in client.get("/e/conf/").content.decode()


def test_acknowledging_a_version_that_changed_meanwhile_is_refused(client, cast):
    factories.sign_in(client, cast.unacked)
    response = client.post(
        "/staff/events/conf/acknowledge/",
        {"coc_version": 1, "guide_version": 99, "confirm": "on"},
    )
    assert response.status_code == 302
    cast.memberships["unacked"].refresh_from_db()
    assert not cast.memberships["unacked"].is_acknowledged


def test_unknown_event_page_is_404(client, db):
    assert client.get("/e/missing/").status_code == 404


def test_home_lists_current_events(client, cast):
    html = client.get("/").content.decode()
    assert 'href="/e/conf/"' in html
