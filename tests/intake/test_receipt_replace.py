"""A reporter replaces their receipt: above all after a staff member took the report
down (and so saw the receipt), but anyone may. The old receipt stops working at once."""

import json
import re
from unittest import mock

import pytest

from ombud.audit.models import Entry
from ombud.cases.models import Message, Report
from ombud.cases.services import reporter
from ombud.intake.services import submit_report
from ombud.vault import receipts
from ombud.vault import services as vault
from ombud.vault.errors import Tampered
from ombud.vault.models import KeyWrap, RecipientKind
from tests import factories
from tests.markup import only_the_static_script

pytestmark = pytest.mark.django_db

SHOWN = re.compile(r'<p class="receipt" id="receipt">([0-9A-Z-]+)</p>')
STAFF_NOTICE = "The staff member who wrote this down with you saw this receipt."


@pytest.fixture
def taken(cast):
    """A report a staff member took down for someone, with the receipt they were shown."""
    return submit_report(
        cast.event,
        factories.report_input(
            what_happened="Told the staff desk", channel="in_person", taken_by=cast.staff
        ),
        submission_key="s" * 32,
    )


def _receipt_wraps(report):
    return KeyWrap.objects.filter(keyring=report.case_id, recipient_kind=RecipientKind.RECEIPT)


def test_a_new_receipt_opens_the_report_and_the_old_one_stops_at_once(cast, taken):
    new = reporter.replace_receipt(receipts.display(taken.receipt))
    assert receipts.normalise(new) == new != taken.receipt
    with pytest.raises(reporter.UnknownReceipt):
        reporter.view(taken.receipt)
    with pytest.raises(reporter.UnknownReceipt):
        reporter.add_information(taken.receipt, "from whoever kept the old one")
    assert reporter.view(new).content["what_happened"] == "Told the staff desk"
    report = Report.objects.get()
    assert report.receipt_digest == receipts.digest(new)
    # One receipt wrap, for the new receipt; the old receipt opens no key any more.
    wrap = _receipt_wraps(report).get()
    assert wrap.recipient_ref == str(report.pk)
    vault.open_keyring(report.case_id, vault.ReceiptRecipient(new, report.pk))
    with pytest.raises(Tampered):
        vault.open_keyring(report.case_id, vault.ReceiptRecipient(taken.receipt, report.pk))
    entry = Entry.objects.get(action="receipt.replaced")
    assert (entry.actor_kind, entry.object_id) == ("reporter", str(report.pk))


def test_replacing_forgets_the_resend_box_that_holds_the_old_receipt(cast, taken):
    reporter.replace_receipt(taken.receipt)
    report = Report.objects.get()
    assert (report.resend_box, report.submission_digest) == (None, None)


def test_of_two_replacements_racing_with_one_receipt_only_one_wins(cast, taken):
    """Both opened the case key with the old receipt; the second to write finds the
    receipt already replaced, changes nothing and is told the receipt is unknown."""
    real, raced, winner = receipts.new_receipt, [], []

    def new_receipt():
        if not raced:  # the other request gets in between, once
            raced.append(True)
            winner.append(reporter.replace_receipt(taken.receipt))
        return real()

    with (
        mock.patch.object(receipts, "new_receipt", side_effect=new_receipt),
        pytest.raises(reporter.UnknownReceipt),
    ):
        reporter.replace_receipt(taken.receipt)
    report = Report.objects.get()
    assert report.receipt_digest == receipts.digest(winner[0])
    assert _receipt_wraps(report).count() == 1
    assert reporter.view(winner[0]).report.pk == report.pk
    assert Entry.objects.filter(action="receipt.replaced").count() == 1


def test_an_unknown_receipt_replaces_nothing(cast, taken):
    with pytest.raises(reporter.UnknownReceipt):
        reporter.replace_receipt("A" * 28)
    assert Report.objects.get().receipt_digest == receipts.digest(taken.receipt)
    assert not Entry.objects.filter(action="receipt.replaced").exists()


# --- the follow-up page ----------------------------------------------------------------


def test_the_page_of_a_staff_taken_report_says_so_first_and_offers_a_new_receipt(client, taken):
    html = client.post("/receipt/", {"receipt": taken.receipt}).content.decode()
    assert STAFF_NOTICE in html
    assert "we recommend getting a new receipt" in html
    # On the first screen: before the status and everything else on the page.
    assert html.index(STAFF_NOTICE) < html.index('<dl class="facts card">')
    assert html.count('name="action" value="replace"') == 1
    assert only_the_static_script(html)


def test_a_report_filed_by_the_reporter_offers_a_new_receipt_further_down(client, cast):
    filed = factories.file_report(cast.event)
    html = client.post("/receipt/", {"receipt": filed.receipt}).content.decode()
    assert STAFF_NOTICE not in html
    assert "Has someone else seen your receipt?" in html
    assert html.index("Has someone else seen your receipt?") > html.index("<h2>Messages</h2>")
    assert html.count('name="action" value="replace"') == 1


def test_getting_a_new_receipt_on_the_page_shows_it_once_and_the_old_one_stops(client, taken):
    response = client.post("/receipt/", {"receipt": taken.receipt, "action": "replace"})
    html = response.content.decode()
    assert response.status_code == 200
    new = SHOWN.search(html).group(1)
    assert receipts.normalise(new) != taken.receipt
    assert "Your old receipt no longer works" in html
    assert STAFF_NOTICE not in html
    assert response["Cache-Control"].count("no-store") == 1
    # The page's own forms carry the new receipt: sending a message works at once.
    assert f'name="receipt" value="{new}"' in html
    assert taken.receipt not in html.replace("-", "")
    added = client.post("/receipt/", {"receipt": new, "action": "add", "text": "Thanks."})
    assert added.status_code == 200
    assert Message.objects.count() == 1
    old = client.post("/receipt/", {"receipt": taken.receipt})
    assert old.status_code == 404
    assert "could not find a report with this receipt" in old.content.decode()


def test_a_wrong_receipt_on_the_page_replaces_nothing(client, taken):
    response = client.post("/receipt/", {"receipt": "B" * 28, "action": "replace"})
    assert response.status_code == 404
    assert Report.objects.get().receipt_digest == receipts.digest(taken.receipt)


# --- the API ---------------------------------------------------------------------------


def _replace(client, receipt=None):
    headers = {} if receipt is None else {"HTTP_X_RECEIPT": receipt}
    return client.post("/api/v1/receipt/replace", "", content_type="application/json", **headers)


def test_the_api_replaces_a_receipt_and_the_old_one_stops_at_once(client, taken):
    response = _replace(client, receipts.display(taken.receipt))
    assert response.status_code == 201
    new = response.json()["receipt"]
    assert re.fullmatch(r"([0-9A-Z]{4}-){6}[0-9A-Z]{4}", new)
    assert client.get("/api/v1/receipt", HTTP_X_RECEIPT=taken.receipt).status_code == 404
    mine = client.get("/api/v1/receipt", HTTP_X_RECEIPT=new)
    assert mine.status_code == 200
    assert mine.json()["report"]["what_happened"] == "Told the staff desk"
    assert Entry.objects.filter(action="receipt.replaced").count() == 1


def test_the_api_needs_a_known_receipt_to_replace_one(client, taken):
    assert _replace(client).status_code == 401
    unknown = _replace(client, "C" * 28)
    assert unknown.status_code == 404
    assert json.loads(unknown.content)["detail"]
    assert Report.objects.get().receipt_digest == receipts.digest(taken.receipt)


def test_the_staff_receipt_page_tells_them_the_reporter_can_get_a_new_one(signed_in, cast):
    client = signed_in(cast.staff)
    page = client.get("/staff/events/conf/report/").content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    response = client.post(
        "/staff/events/conf/report/",
        {"channel": "in_person", "what_happened": "Told me", "submission_key": key},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "The reporter's receipt" in html
    assert "they can get a new receipt on the follow-up page" in html
