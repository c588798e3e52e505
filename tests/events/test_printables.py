"""The venue's printables: the event's poster and the staff's pocket card.

Both are staff pages; the poster carries only what the public event page shows.
"""

import re
from pathlib import Path

import pytest
import segno
from django.conf import settings

from ombud.events.forms import EventForm
from ombud.events.models import EventText
from ombud.staff.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db

POSTER = "/staff/manage/events/conf/poster/"
CARD = "/staff/events/conf/pocket-card/"
REPORT_URL = settings.BASE_URL + "/e/conf/report/"
CSS = Path(__file__).resolve().parents[2] / "src/ombud/web/static/ombud/staff.css"


@pytest.fixture
def event(cast):
    event = cast.event
    event.emergency_number = "112"
    event.duty_phone = "+49 30 9999"
    event.staff_recognition = "Staff wear yellow STAFF shirts"
    event.venue_security_contact = "Security desk by the entrance"
    event.save()
    # A lead's phone, not listed publicly: for the staff's card, never for the walls.
    Membership.objects.filter(user=cast.lead2).update(phone="+49 30 3333")
    return event


def _qr_path(svg: str) -> str:
    return re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)


def test_the_poster_has_the_qr_code_of_the_report_form_and_the_numbers(client, cast, event):
    factories.sign_in(client, cast.lead)
    response = client.get(POSTER)
    assert response.status_code == 200
    page = response.content.decode()
    # The QR code is inline SVG and encodes exactly the public report form's address.
    expected = segno.make(REPORT_URL, error="q", micro=False).svg_inline(omitsize=True)
    assert _qr_path(page[page.index('<div class="qr"') :]) == _qr_path(expected)
    assert REPORT_URL in page
    assert 'href="tel:112"' in page
    assert 'href="tel:+49 30 9999"' in page
    assert "Staff wear yellow STAFF shirts" in page
    assert "Security desk by the entrance" in page
    assert "<img" not in page  # nothing fetched
    assert "<script" not in page


def test_without_an_on_duty_phone_the_poster_lists_only_public_leads(client, cast, event):
    event.duty_phone = ""
    event.save()
    factories.sign_in(client, cast.admin)
    page = client.get(POSTER).content.decode()
    assert "Call an incident lead" in page
    assert "+49 30 1111" in page  # Lena Lead agreed to be listed publicly
    assert "+49 30 3333" not in page  # Lou Second did not
    assert "+49 30 2222" not in page  # a responder, not a lead


def test_the_pocket_card_has_the_procedure_and_every_leads_phone(client, cast, event):
    factories.sign_in(client, cast.staff)
    response = client.get(CARD)
    assert response.status_code == 200
    page = response.content.decode()
    for step in (
        "Safety first",
        "only if the person harmed asks for it",
        "Do not interview anyone else",
        "name or badge number",
        "Keep it confidential",
        "A lost receipt cannot be recovered",
    ):
        assert step in page, step
    assert 'href="tel:112"' in page
    assert 'href="tel:+49 30 9999"' in page
    assert "+49 30 1111" in page  # both leads, listed publicly or not
    assert "+49 30 3333" in page
    assert REPORT_URL in page


def test_printables_are_staff_pages_nobody_else_reaches(client, cast, event):
    for person, poster, card in (
        (cast.outsider, 404, 404),  # a lead of another event
        (cast.staff, 404, 200),
        (cast.desk, 404, 200),
        (cast.responder, 404, 200),
        (cast.lead2, 200, 200),
    ):
        factories.sign_in(client, person)
        assert client.get(POSTER).status_code == poster, person
        assert client.get(CARD).status_code == card, person
        if poster == 404:
            assert "+49 30 9999" not in client.get(POSTER).content.decode()
    client.logout()
    assert client.get(POSTER)["Location"].startswith("/staff/login/?next=")


def test_printables_are_styled_for_a4_that_also_fits_letter():
    css = CSS.read_text()
    assert re.search(r"@page printable \{[^}]*size: A4", css)
    assert ".printable { max-width: 46rem; page: printable; }" in css


def test_the_event_form_takes_an_on_duty_phone_and_refuses_a_bad_one(client, cast):
    factories.sign_in(client, cast.admin)
    page = client.get("/staff/manage/events/conf/").content.decode()
    assert 'name="duty_phone"' in page
    cast.event.refresh_from_db()
    form = EventForm(instance=cast.event)
    data = {name: form[name].value() or "" for name in form.fields}
    bad = EventForm({**data, "duty_phone": "call Bob"}, instance=cast.event)
    assert not bad.is_valid()
    assert "duty_phone" in bad.errors


def test_the_poster_speaks_each_of_the_events_languages(client, cast, event):
    event.languages = "en,de,ar"
    event.save()
    EventText.objects.create(
        event=event, language="ar", staff_recognition="يرتدي الطاقم قمصانا صفراء"
    )
    factories.sign_in(client, cast.lead)
    arabic = client.get(POSTER + "?lang=ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic
    assert 'lang="ar" dir="rtl">يرتدي الطاقم قمصانا صفراء</p>' in arabic
    assert 'href="?lang=de"' in arabic
    # Not translated into German: the default language's text, marked as such.
    german = client.get(POSTER + "?lang=de").content.decode()
    assert '<html lang="de"' in german
    assert 'lang="en" dir="ltr">Staff wear yellow STAFF shirts</p>' in german
    # A language the event does not offer is not printed.
    assert '<html lang="ja"' not in client.get(POSTER + "?lang=ja").content.decode()
