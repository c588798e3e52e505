"""Nothing a reporter typed or chose is lost when the form comes back (issue 11 §7):
every problem listed at the top, over-long text kept whole, chosen files held,
sealed, for the retry, and no question with an error or an answer folded away."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from ombud.cases.models import Attachment, Report
from ombud.intake import held
from ombud.intake.models import HeldFiles
from ombud.notify.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)
CANARY = "HELDCANARY-0c4e"
TOKEN = re.compile(r'name="held_files" value="([^"]+)"')
# Arabic inside English, as a paste from a chat might be.
MIXED = "He wrote «اترك المؤتمر الآن» under my talk. "


def _png(name="screenshot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _text_file(name="what he wrote.txt"):
    return SimpleUploadedFile(name, f"{CANARY} he wrote this".encode(), content_type="text/plain")


def _post(client, **data):
    return client.post("/e/conf/report/", data)


def _section(html: str, summary: str) -> str:
    """The opening tag of the <details> section whose summary says ``summary``."""
    at = html.index(f"<summary>{summary}</summary>")
    return html[html.rindex("<details", 0, at) : at]


# --- over-long text -------------------------------------------------------------------


def test_text_over_its_limit_comes_back_whole_with_a_clear_error(client, cast):
    long_text = (MIXED * 500)[:20_050]
    response = _post(client, what_happened=long_text, who="Max")
    html = response.content.decode()
    assert response.status_code == 400
    assert Report.objects.count() == 0
    # Every character, for shortening (escaped as the page must escape it).
    assert long_text.replace("«", "«").replace("'", "&#x27;") in html
    assert "This is 20050 characters long; it can be up to 20000." in html
    assert "everything you wrote is still here" in html
    assert 'value="Max"' in html


def test_limits_are_shown_and_never_enforced_by_cutting(client, cast):
    html = client.get("/e/conf/report/").content.decode()
    assert "maxlength" not in html
    assert "Up to 20,000 characters." in html
    assert "Up to 1,000 characters." in html  # who
    # Text boxes take the direction of what is typed in them.
    assert re.search(r'<textarea name="what_happened"[^>]*dir="auto"', html)
    assert re.search(r'<input type="text" name="who"[^>]*dir="auto"', html)


def test_the_follow_up_forms_keep_over_long_text_too(client, cast):
    filed = factories.file_report(cast.event)
    html = client.post("/receipt/", {"receipt": filed.receipt}).content.decode()
    assert "maxlength" not in html
    assert "Up to 20,000 characters." in html
    assert re.search(r'<textarea name="text"[^>]*dir="auto"', html)
    long_text = "x" * 20_001
    response = client.post(
        "/receipt/", {"receipt": filed.receipt, "action": "add", "text": long_text}
    )
    html = response.content.decode()
    assert long_text in html
    assert "it can be up to 20000" in html
    assert 'class="error-summary"' in html
    assert 'href="#id_text"' in html


# --- the error summary ------------------------------------------------------------------


def test_the_error_summary_lists_each_problem_first_and_links_to_its_field(client, cast):
    html = _post(client, who="y" * 1001).content.decode()
    summary = html[html.index('class="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert html.index('class="error-summary"') < html.index('name="danger_now"')
    assert '<a href="#id_what_happened">What happened?: ' in summary
    assert '<a href="#id_who">Who did it?: ' in summary
    assert "Your report has not been sent yet." in summary


def test_a_section_holding_an_error_or_an_answer_is_open_and_the_others_closed(client, cast):
    html = _post(client, who="y" * 1001, contact="me@example.org").content.decode()
    assert " open" in _section(html, "Who did it")
    assert " open" in _section(html, "Your safety, the police, and how to reach you")
    assert " open" not in _section(html, "When, where and around it")
    fresh = client.get("/e/conf/report/").content.decode()
    assert " open" not in _section(fresh, "Who did it")


# --- files chosen on a form that came back ----------------------------------------------


def _held_bytes() -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM intake_heldfiles")
        return b"".join(bytes(row[0]) for row in cursor.fetchall())


def test_files_chosen_on_a_form_with_an_error_are_held_sealed_and_sent_on_the_retry(client, cast):
    response = _post(client, who="Max", attachments=[_png(), _text_file()])
    html = response.content.decode()
    assert response.status_code == 400
    token = TOKEN.search(html).group(1)
    assert "These files you chose are kept" in html
    assert "screenshot.png" in html
    assert "what he wrote.txt" in html
    assert " open" in _section(html, "Links, photos and files")
    # Sealed under a key only the page has: not the file, not its name, not the key.
    stored = _held_bytes()
    assert CANARY.encode() not in stored
    assert b"screenshot" not in stored
    assert token.split(".")[1].encode() not in stored

    response = _post(client, what_happened="By the stairs.", held_files=token)
    assert response.status_code == 200
    report = Report.objects.get()
    assert Attachment.objects.filter(report=report).count() == 2
    assert HeldFiles.objects.count() == 0  # gone once sent


def test_files_held_and_files_chosen_on_the_retry_are_sent_together(client, cast):
    token = TOKEN.search(_post(client, attachments=[_png()]).content.decode()).group(1)
    response = _post(
        client, what_happened="By the stairs.", held_files=token, attachments=[_text_file()]
    )
    assert response.status_code == 200
    assert Attachment.objects.count() == 2


def test_held_files_the_reporter_no_longer_wants_are_not_sent(client, cast):
    token = TOKEN.search(_post(client, attachments=[_png()]).content.decode()).group(1)
    response = _post(client, what_happened="x", held_files=token, drop_held_files="on")
    assert response.status_code == 200
    assert Attachment.objects.count() == 0
    assert HeldFiles.objects.count() == 0


def test_a_second_error_keeps_holding_the_files(client, cast):
    first = TOKEN.search(_post(client, attachments=[_png()]).content.decode()).group(1)
    again = _post(client, who="y" * 1001, held_files=first).content.decode()
    assert TOKEN.search(again).group(1) == first
    assert HeldFiles.objects.count() == 1


def test_held_files_that_are_gone_or_forged_are_asked_for_again(client, cast):
    token = TOKEN.search(_post(client, attachments=[_png()]).content.decode()).group(1)
    held_id, key = token.split(".")
    HeldFiles.objects.update(held_at=timezone.now() - held.HOLD_FOR - timedelta(minutes=1))
    for sent in (token, f"{held_id}.{'A' * len(key)}", "not-a-token", f"{'0' * 32}.{key}"):
        response = _post(client, what_happened="x", held_files=sent)
        html = response.content.decode()
        assert response.status_code == 400, sent
        assert "The files you chose before are no longer kept." in html
        assert '<a href="#id_attachments">' in html
    assert Report.objects.count() == 0
    assert held.forget_expired(timezone.now()) == 1


def test_files_refused_for_what_they_are_are_not_held_and_the_page_says_so(client, cast):
    bad = SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 64)
    html = _post(client, what_happened="x", attachments=[_png(), bad]).content.decode()
    assert "is not a kind of file we can take" in html
    assert "The files you chose last time could not be kept. Please choose them again." in html
    assert not TOKEN.search(html)
    assert HeldFiles.objects.count() == 0


def test_holding_is_bounded_and_then_the_page_asks_for_the_files_again(client, cast, monkeypatch):
    monkeypatch.setattr(held, "MAX_HELD_BYTES", len(PNG) * 2)
    assert TOKEN.search(_post(client, attachments=[_png()]).content.decode())
    assert TOKEN.search(_post(client, attachments=[_png()]).content.decode())
    html = _post(client, attachments=[_png()]).content.decode()
    assert not TOKEN.search(html)
    assert "could not be kept. Please choose them again." in html
    assert HeldFiles.objects.count() == 2


def test_more_files_than_a_report_takes_are_refused_with_the_held_ones_kept(client, cast):
    token = TOKEN.search(
        _post(client, attachments=[_png(f"{n}.png") for n in range(3)]).content.decode()
    ).group(1)
    html = _post(
        client,
        what_happened="x",
        held_files=token,
        attachments=[_png(f"more{n}.png") for n in range(3)],
    ).content.decode()
    assert "Up to 5 files can be sent with a report." in html
    assert TOKEN.search(html).group(1) == token
    assert "could not be kept" in html  # the three chosen now


def test_the_staff_form_holds_files_for_its_retry_too(client, cast):
    factories.sign_in(client, cast.staff)
    data = {"channel": "in_person", "attachments": [_png()]}
    html = client.post("/staff/events/conf/report/", data).content.decode()
    token = TOKEN.search(html).group(1)
    data = {"channel": "in_person", "what_happened": "At the desk.", "held_files": token}
    assert client.post("/staff/events/conf/report/", data).status_code == 200
    assert Attachment.objects.count() == 1


def test_a_follow_up_that_comes_back_says_its_files_must_be_chosen_again(client, cast):
    filed = factories.file_report(cast.event)
    before = OutboxMessage.objects.count()
    response = client.post(
        "/receipt/",
        {"receipt": filed.receipt, "action": "add", "text": "", "attachments": [_png()]},
    )
    html = response.content.decode()
    assert "The files you chose were not sent. Please choose them again." in html
    assert OutboxMessage.objects.count() == before
