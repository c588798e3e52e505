"""What every public page gives a reporter (issue 11 §3-4): a way out at the top,
plain words about who reads a report and how fast, and a receipt they can keep."""

import logging
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.events.models import QUICK_EXIT_DEFAULT
from tests import factories
from tests.markup import only_the_static_script, quick_exit

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(r'<p class="receipt" id="receipt">([0-9A-Z-]+)</p>')
NEUTRAL = "https://weather.example.org/today"


def _form_key(client, slug="conf"):
    html = client.get(f"/e/{slug}/report/").content.decode()
    return re.search(r'name="submission_key" value="([^"]+)"', html).group(1)


def _file(client, text="It happened at the party.", slug="conf"):
    data = {"what_happened": text, "submission_key": _form_key(client, slug)}
    return client.post(f"/e/{slug}/report/", data)


def _public_pages(client, cast):
    """Each public page a reporter can reach, by name: its response."""
    filed = factories.file_report(cast.event)
    return {
        "home": client.get("/"),
        "event page": client.get("/e/conf/"),
        "report form": client.get("/e/conf/report/"),
        "report form with errors": client.post("/e/conf/report/", {}),
        "receipt": _file(client),
        "follow-up start": client.get("/receipt/"),
        "follow-up": client.post("/receipt/", {"receipt": filed.receipt}),
    }


def _exit_at_the_top(html: str) -> bool:
    body = html[html.index("<body>") :]
    return body.index('id="quick-exit"') < body.index("<header") < body.index("<main")


def test_every_public_page_has_the_events_quick_exit_at_the_top(client, cast):
    cast.event.quick_exit_url = NEUTRAL
    cast.event.save()
    for name, response in _public_pages(client, cast).items():
        html = response.content.decode()
        assert response.status_code in {200, 400}, name
        assert html.count('id="quick-exit"') == 1, name
        assert _exit_at_the_top(html), name
        assert only_the_static_script(html), name
        expected = QUICK_EXIT_DEFAULT if name in {"home", "follow-up start"} else NEUTRAL
        assert quick_exit(html) == expected, name


def test_the_unavailable_pages_have_the_quick_exit_too(client, cast, monkeypatch):
    from ombud.intake import views  # noqa: PLC0415
    from ombud.vault.errors import VaultError  # noqa: PLC0415

    def vault_down(*args, **kwargs):
        raise VaultError("the key file is missing")

    filed = factories.file_report(cast.event)
    monkeypatch.setattr(views, "submit_report", vault_down)
    monkeypatch.setattr(views.reporter, "view", vault_down)
    for response in (_file(client), client.post("/receipt/", {"receipt": filed.receipt})):
        assert response.status_code == 503
        assert quick_exit(response.content.decode())


def test_staff_pages_and_a_staff_taken_receipt_have_no_quick_exit(client, cast):
    factories.sign_in(client, cast.staff)
    form = client.get("/staff/events/conf/report/").content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', form).group(1)
    data = {"what_happened": "Told me at the desk.", "channel": "in_person", "submission_key": key}
    receipt = client.post("/staff/events/conf/report/", data).content.decode()
    for html in (form, receipt):
        assert quick_exit(html) is None
    # The staff member must not keep a copy of the reporter's receipt.
    assert "/receipt/save/" not in receipt
    assert 'id="copy-receipt"' not in receipt


def test_organisers_set_the_quick_exit_link_and_only_to_an_https_site(client, cast):
    factories.sign_in(client, cast.admin)
    page = client.get("/staff/manage/events/conf/").content.decode()
    assert 'name="quick_exit_url"' in page
    data = {name: getattr(cast.event, name) for name in _event_form_fields()}
    for bad in ("javascript:alert(1)", "http://news.example.org/", "data:text/html,hi"):
        response = client.post("/staff/manage/events/conf/", {**data, "quick_exit_url": bad})
        assert response.status_code == 400, bad
    response = client.post("/staff/manage/events/conf/", {**data, "quick_exit_url": NEUTRAL})
    assert response.status_code == 302
    cast.event.refresh_from_db()
    assert cast.event.quick_exit_url == NEUTRAL
    # Left empty, it goes back to the neutral default rather than nowhere.
    client.post("/staff/manage/events/conf/", {**data, "quick_exit_url": ""})
    cast.event.refresh_from_db()
    assert cast.event.quick_exit_url == QUICK_EXIT_DEFAULT
    client.post("/staff/manage/events/conf/", {**data, "quick_exit_url": NEUTRAL})
    assert quick_exit(client.get("/e/conf/report/").content.decode()) == NEUTRAL


def _event_form_fields():
    from ombud.events.forms import EventForm  # noqa: PLC0415

    return EventForm.Meta.fields


def test_report_and_receipt_pages_are_never_stored(client, cast):
    filed = factories.file_report(cast.event)
    responses = {
        "form": client.get("/e/conf/report/"),
        "form with errors": client.post("/e/conf/report/", {"what_happened": ""}),
        "receipt": _file(client),
        "follow-up": client.post("/receipt/", {"receipt": filed.receipt}),
        "receipt file": client.post("/receipt/save/", {"receipt": filed.receipt}),
    }
    for name, response in responses.items():
        cache = response["Cache-Control"]
        assert "no-store" in cache, name
        assert "private" in cache or "no-cache" in cache, name


@pytest.mark.parametrize("page", ["/e/conf/", "/e/conf/report/"])
def test_event_page_and_form_say_who_reads_how_fast_the_receipt_and_the_police(client, cast, page):
    cast.event.ack_promise_hours = 3
    cast.event.update_promise_days = 5
    cast.event.save()
    html = client.get(page).content.decode()
    assert "Only the event's response team reads your report." in html
    assert "Nobody you name in it can open it." in html
    assert "picks it up within 3 hours." in html
    assert "at least every 5 days." in html
    assert "You get a receipt" in html
    assert "You decide whether venue security or the police are involved." in html


def test_after_the_event_the_form_promises_what_the_team_promised_for_afterwards(client, cast):
    today = timezone.localdate()
    event = cast.event
    event.starts_on, event.ends_on = today - timedelta(days=5), today - timedelta(days=2)
    event.ack_promise_hours, event.ack_promise_hours_after = 1, 48
    event.save()
    html = client.get("/e/conf/report/").content.decode()
    assert "picks it up within 48 hours." in html
    assert "within 1 hour." not in html


def test_the_receipt_page_offers_to_save_and_copy_the_receipt_and_says_it_is_not_kept(client, cast):
    html = _file(client).content.decode()
    receipt = RECEIPT.search(html).group(1)
    assert "Nobody can recover it if it is lost, not even the response team" in html
    form = html[html.index('action="/receipt/save/"') :]
    form = form[: form.index("</form>")]
    assert f'name="receipt" value="{receipt}"' in form
    assert 'name="event" value="conf"' in form
    # Copying needs JavaScript: the button stays hidden until the script shows it.
    assert re.search(r'<button type="button"[^>]*id="copy-receipt"[^>]*\shidden', form)


def test_the_receipt_file_holds_the_receipt_and_where_to_use_it(client, cast, caplog):
    html = _file(client).content.decode()
    receipt = RECEIPT.search(html).group(1)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = client.post("/receipt/save/", {"receipt": receipt, "event": "conf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="receipt.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    text = response.content.decode()
    assert receipt in text
    assert "Conf" in text
    assert "/receipt/" in text
    assert "Nobody can recover it if it is lost" in text
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert receipt not in logged
    assert receipt.replace("-", "") not in logged


def test_the_receipt_file_is_made_only_from_a_posted_receipt(client, cast):
    assert client.get("/receipt/save/").status_code == 405
    for body in ({}, {"receipt": "not a receipt"}, {"receipt": "x" * 500}):
        response = client.post("/receipt/save/", body)
        assert response.status_code == 400
        assert "Content-Disposition" not in response
    # Never looked up: a well-formed receipt that opens nothing gives away nothing.
    unknown = "0000-0000-0000-0000-0000-0000-0000"
    response = client.post("/receipt/save/", {"receipt": unknown, "event": "no-such-event"})
    assert response.status_code == 200
    assert unknown in response.content.decode()


def test_a_new_receipt_on_the_follow_up_page_can_be_saved_too(client, cast):
    filed = factories.file_report(cast.event)
    html = client.post("/receipt/", {"receipt": filed.receipt, "action": "replace"}).content
    html = html.decode()
    assert 'action="/receipt/save/"' in html
    assert "Nobody can recover it if it is lost" in html
