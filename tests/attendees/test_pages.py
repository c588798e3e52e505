"""The lists page: leads and organiser admins import; everyone else gets a 404; a
mistake comes back in the form, a failed import says why; the token is never shown."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ombud.attendees.models import ImportSource, Kind, PeopleList
from tests.attendees.conftest import CANARY, TOKEN

pytestmark = pytest.mark.django_db


def _url(cast, name="lists"):
    return reverse(f"attendees:{name}", args=[cast.event.slug])


def _pretix(fake, **extra):
    data = {
        "pretix-base_url": fake.url,
        "pretix-organizer": fake.organizer,
        "pretix-remote_event": fake.event,
        "pretix-token": TOKEN,
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("who", ["lead", "admin"])
def test_leads_and_organiser_admins_import_from_pretix(cast, signed_in, ticketing, who):
    client = signed_in(getattr(cast, who))
    response = client.post(_url(cast, "import_pretix"), _pretix(ticketing))
    assert response.status_code == 302
    page = client.get(_url(cast)).content.decode()
    assert "Imported 5 attendees." in page
    assert "5 people, from pretix" in page
    assert TOKEN not in page
    assert CANARY not in page  # the page counts people, it does not list them
    assert f'value="{ticketing.url}"' in page  # the settings, kept
    assert ("Who on these lists matches the ban list" in page) == (who == "lead")


@pytest.mark.parametrize(
    "who", ["responder", "desk", "staff", "outsider", "unacked", "responder_off"]
)
def test_nobody_else_reaches_the_lists(cast, signed_in, ticketing, who):
    client = signed_in(getattr(cast, who))
    assert client.get(_url(cast)).status_code == 404
    assert client.post(_url(cast, "import_pretix"), _pretix(ticketing)).status_code == 404
    csv = SimpleUploadedFile("people.csv", b"name,email,badge\nA,a@example.org,1\n")
    assert (
        client.post(
            _url(cast, "import_csv"), {"csv-file": csv, "csv-kind": "attendees"}
        ).status_code
        == 404
    )
    assert not PeopleList.objects.exists()
    assert not ticketing.requests


def test_a_form_with_mistakes_comes_back_with_what_was_typed(cast, signed_in, ticketing):
    client = signed_in(cast.lead)
    response = client.post(
        _url(cast, "import_pretix"), _pretix(ticketing, **{"pretix-organizer": "no spaces"})
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page
    assert 'value="no spaces"' in page
    assert TOKEN not in page  # a token typed is not sent back
    assert not ticketing.requests


def test_no_token_typed_and_none_saved_is_a_mistake_in_the_form(cast, signed_in, ticketing):
    response = signed_in(cast.lead).post(
        _url(cast, "import_pretix"), _pretix(ticketing, **{"pretix-token": ""})
    )
    assert response.status_code == 400
    assert "Type the API token" in response.content.decode()


def test_a_refused_token_is_shown_on_the_page_and_the_list_kept(cast, signed_in, ticketing):
    client = signed_in(cast.lead)
    client.post(_url(cast, "import_pretix"), _pretix(ticketing))
    response = client.post(
        _url(cast, "import_pretix"), _pretix(ticketing, **{"pretix-token": "wrong"}), follow=True
    )
    page = response.content.decode()
    assert "pretix refused the API token (HTTP 401)" in page
    assert "failed, the list above was kept." in page
    assert "5 people, from pretix" in page


def test_a_csv_upload_and_a_bad_one(cast, signed_in):
    client = signed_in(cast.admin)
    good = SimpleUploadedFile(
        "people.csv", f"name,email,badge\n{CANARY},x@example.org,B1\n".encode()
    )
    response = client.post(_url(cast, "import_csv"), {"csv-file": good, "csv-kind": "speakers"})
    assert response.status_code == 302
    assert PeopleList.objects.get(event=cast.event, kind=Kind.SPEAKERS).size == 1
    bad = SimpleUploadedFile("people.csv", b"name,email\nA,a@example.org\n")
    page = client.post(
        _url(cast, "import_csv"), {"csv-file": bad, "csv-kind": "speakers"}, follow=True
    ).content.decode()
    assert "Line 1 (the header) lacks these columns: badge" in page
    assert PeopleList.objects.get(event=cast.event, kind=Kind.SPEAKERS).size == 1
    assert not ImportSource.objects.get(event=cast.event, kind=Kind.SPEAKERS).last_ok
    missing = client.post(_url(cast, "import_csv"), {"csv-kind": "speakers"})
    assert missing.status_code == 400


def test_a_csv_over_the_limit_is_refused_before_it_is_read(cast, signed_in, monkeypatch):
    from ombud.attendees import forms  # noqa: PLC0415

    monkeypatch.setattr(forms, "MAX_CSV_BYTES", 10)
    big = SimpleUploadedFile("people.csv", b"name,email,badge\nA,a@example.org,1\n")
    response = signed_in(cast.lead).post(
        _url(cast, "import_csv"), {"csv-file": big, "csv-kind": "attendees"}
    )
    assert response.status_code == 400
    assert "larger than 10 MB" in response.content.decode()
    assert not PeopleList.objects.exists()
