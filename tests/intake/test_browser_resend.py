"""Back after sending, then Send again: the page comes back with a fresh submission
key (it is no-store), yet the same report from the same browser within minutes is
recognised and shows the first receipt — one case, one alert (issue 11 §7). Only
that browser: another one, with the same words, files a report of its own."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.cases.models import Attachment, Case, Report
from ombud.intake import browser
from ombud.intake.models import BrowserResend
from ombud.intake.services import BROWSER_RESEND_WINDOW, forget_resend_boxes
from ombud.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(r'<p class="receipt" id="receipt">([0-9A-Z-]+)</p>')
WORDS = "RESENDCANARY-9d2: he grabbed my arm at the after-party."
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)


def _send(client, **fields):
    """Load the form as a browser does (a fresh key each time), then send it."""
    page = client.get("/e/conf/report/").content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    response = client.post("/e/conf/report/", {"submission_key": key, **fields})
    assert response.status_code == 200
    html = response.content.decode()
    return RECEIPT.search(html).group(1), "already received" in html


def test_the_form_gives_the_browser_its_own_random_cookie_for_the_reporting_pages(client, cast):
    response = client.get("/e/conf/report/")
    cookie = response.cookies[browser.COOKIE]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", cookie.value)
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/e/"
    assert int(cookie["max-age"]) == browser.MAX_AGE
    # Coming back to the form keeps the same value; another browser gets another.
    assert client.get("/e/conf/report/").cookies[browser.COOKIE].value == cookie.value
    assert Client().get("/e/conf/report/").cookies[browser.COOKIE].value != cookie.value


def test_the_same_report_sent_again_from_the_same_browser_shows_the_first_receipt(client, cast):
    first, repeated = _send(client, what_happened=WORDS, where="Hall B")
    assert not repeated
    alerts = OutboxMessage.objects.count()
    again, repeated = _send(client, what_happened=WORDS, where="Hall B")
    assert (again, repeated) == (first, True)
    assert Report.objects.count() == Case.objects.count() == 1
    assert OutboxMessage.objects.count() == alerts  # nobody alerted twice
    assert Entry.objects.filter(action="receipt.reissued").count() == 1


def test_another_browser_with_the_same_words_files_its_own_report(client, cast):
    first, _ = _send(client, what_happened=WORDS)
    other, repeated = _send(Client(), what_happened=WORDS)
    assert other != first
    assert not repeated
    # Nor does copying the cookie's name with a made-up value open anything.
    forged = Client()
    forged.cookies[browser.COOKIE] = "A" * 32
    third, repeated = _send(forged, what_happened=WORDS)
    assert third not in {first, other}
    assert Report.objects.count() == 3


def test_other_words_from_the_same_browser_are_a_new_report(client, cast):
    first, _ = _send(client, what_happened=WORDS)
    second, repeated = _send(client, what_happened=WORDS + " And again the next day.")
    assert second != first
    assert not repeated
    third, _ = _send(client, what_happened=WORDS, danger_now="yes")
    assert third not in {first, second}
    assert Report.objects.count() == 3


def test_after_the_window_the_same_report_is_filed_again(client, cast):
    first, _ = _send(client, what_happened=WORDS)
    BrowserResend.objects.update(
        sent_at=timezone.now() - BROWSER_RESEND_WINDOW - timedelta(seconds=1)
    )
    again, repeated = _send(client, what_happened=WORDS)
    assert again != first
    assert not repeated
    assert Report.objects.count() == 2


def test_a_replaced_receipt_is_never_handed_back_by_a_resend(client, cast):
    first, _ = _send(client, what_happened=WORDS)
    response = client.post("/receipt/", {"receipt": first, "action": "replace"})
    assert response.status_code == 200
    assert BrowserResend.objects.count() == 0
    again, repeated = _send(client, what_happened=WORDS)
    assert again != first
    assert not repeated


def test_housekeeping_forgets_the_browsers_boxes_after_the_window(client, cast):
    _send(client, what_happened=WORDS)
    assert forget_resend_boxes(timezone.now()) == 0
    assert BrowserResend.objects.count() == 1
    later = timezone.now() + BROWSER_RESEND_WINDOW + timedelta(seconds=1)
    assert forget_resend_boxes(later) >= 1
    assert BrowserResend.objects.count() == 0


def test_a_resend_without_the_files_is_the_same_report_with_other_files_a_new_one(client, cast):
    def png(name):
        return SimpleUploadedFile(name, PNG, content_type="image/png")

    first, _ = _send(client, what_happened=WORDS, attachments=[png("a.png")])
    # Back clears the file field: the same words alone are the same report.
    again, repeated = _send(client, what_happened=WORDS)
    assert (again, repeated) == (first, True)
    # The same file chosen again: still the same report, and the file is not doubled.
    again, repeated = _send(client, what_happened=WORDS, attachments=[png("a.png")])
    assert (again, repeated) == (first, True)
    assert Attachment.objects.count() == 1
    # Other files: a report of their own, so that no file is lost.
    text = SimpleUploadedFile("b.txt", b"another file", content_type="text/plain")
    other, repeated = _send(client, what_happened=WORDS, attachments=[text])
    assert other != first
    assert not repeated
    assert Attachment.objects.count() == 2


def test_the_database_holds_neither_the_receipt_nor_the_words_nor_the_cookie(client, cast):
    receipt, _ = _send(client, what_happened=WORDS)
    secret = client.cookies[browser.COOKIE].value
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, box, files_digest FROM intake_browserresend")
        stored = b"".join(
            value.encode() if isinstance(value, str) else bytes(value)
            for row in cursor.fetchall()
            for value in row
        )
    for clear in (receipt, receipt.replace("-", ""), "RESENDCANARY", secret):
        assert clear.encode() not in stored


def test_the_api_and_staff_taken_reports_are_not_bound_to_a_browser(client, cast):
    client.get("/e/conf/report/")  # the browser has its cookie
    for _ in range(2):
        response = client.post(
            "/api/v1/events/conf/reports", {"what_happened": WORDS}, content_type="application/json"
        )
        assert response.status_code == 201
    assert Report.objects.count() == 2
    assert BrowserResend.objects.count() == 0
