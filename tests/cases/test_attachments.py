"""Attachments on reports, follow-ups and notes: checked by content, sealed, and
only ever downloaded - by someone who may read the case, or the reporter."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings

from ombud.audit.models import Entry
from ombud.cases.models import Attachment, Report
from tests import factories

pytestmark = pytest.mark.django_db

# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)
CANARY = "ATTACHCANARY-71f3"


def _file(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _report(client, cast, **files):
    data = {"what_happened": "It happened by the stairs.", **files}
    return client.post(f"/e/{cast.event.slug}/report/", data)


def _stored_bytes() -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_meta, sealed_data FROM cases_attachment")
        return b"".join(bytes(a) + bytes(b) for a, b in cursor.fetchall())


def test_files_given_with_a_report_are_sealed_and_reach_the_response_team(client, cast):
    response = _report(
        client,
        cast,
        attachments=[
            _file("../../etc/screenshot.PNG", PNG, "image/png"),
            _file("what he wrote.txt", f"{CANARY} he wrote this".encode(), "text/plain"),
        ],
    )
    assert response.status_code == 200
    assert Attachment.objects.count() == 2
    stored = _stored_bytes()
    assert CANARY.encode() not in stored
    assert b"screenshot" not in stored

    case = factories.declared(Report.objects.get().case, cast.lead)
    factories.sign_in(client, cast.lead)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    links = re.findall(rf'href="(/staff/cases/{case.pk}/attachments/[0-9a-f-]+/)"', page)
    assert len(links) == 2
    assert "screenshot.png" in page
    assert "what he wrote.txt" in page

    downloads = {}
    for link in links:
        got = client.get(link)
        assert got.status_code == 200
        assert got["Content-Disposition"].startswith("attachment;")
        assert got["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in got["Content-Security-Policy"]
        assert "no-store" in got["Cache-Control"]
        downloads[got["Content-Type"].split(";")[0]] = (got["Content-Disposition"], got.content)
    assert downloads["image/png"] == ('attachment; filename="screenshot.png"', PNG)
    assert downloads["text/plain"][1] == f"{CANARY} he wrote this".encode()
    assert Entry.objects.filter(action="attachment.read").count() == 2


def test_a_recused_or_outside_person_cannot_download_and_the_id_alone_says_nothing(client, cast):
    _report(client, cast, who="Lou Second", attachments=[_file("a.png", PNG)])
    attachment = Attachment.objects.get()
    path = f"/staff/cases/{attachment.case_id}/attachments/{attachment.pk}/"
    for person in (cast.lead2, cast.staff, cast.outsider, cast.admin):
        factories.sign_in(client, person)
        assert client.get(path).status_code == 404
    factories.sign_in(client, cast.lead)
    other = factories.declared(factories.file_report(cast.event).report.case, cast.lead)
    # A real attachment id under another case the lead can read: still not found.
    assert client.get(f"/staff/cases/{other.pk}/attachments/{attachment.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("tool.exe", b"MZ\x90\x00" + b"\0" * 200, "is not a kind of file we can take"),
        ("archive.zip", b"PK\x03\x04" + b"\0" * 200, "is not a kind of file we can take"),
        ("empty.png", b"", "is empty"),
    ],
)
def test_unsafe_or_empty_files_are_refused_with_the_form_kept(client, cast, name, data, message):
    response = _report(client, cast, attachments=[_file(name, data)])
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert "It happened by the stairs." in html  # nothing typed is lost
    assert not Report.objects.exists()
    assert not Attachment.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=1024, ATTACHMENT_MAX_TOTAL_BYTES=1500)
def test_files_over_the_limits_are_refused_by_name_not_with_a_500(client, cast):
    big = _file("big photo.png", PNG + b"\0" * 2000)
    response = _report(client, cast, attachments=[big])
    assert response.status_code == 400
    assert "“big photo” is too big" in response.content.decode()
    # Each under the per-file limit, together over the request's.
    pair = [_file("one.txt", b"a" * 1000), _file("two.txt", b"b" * 1000)]
    response = _report(client, cast, attachments=pair)
    assert response.status_code == 400
    assert "“two” is too big" in response.content.decode()
    assert not Attachment.objects.exists()


def test_more_than_five_files_is_a_clear_form_error(client, cast):
    files = [_file(f"{n}.txt", b"text") for n in range(6)]
    response = _report(client, cast, attachments=files)
    assert response.status_code == 400
    assert "Up to 5 files can be attached at once." in response.content.decode()


def test_html_and_svg_are_taken_only_as_plain_text_downloads(client, cast):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    _report(client, cast, attachments=[_file("pic.svg", svg, "image/svg+xml")])
    attachment = Attachment.objects.get()
    factories.declared(attachment.case, cast.lead)
    factories.sign_in(client, cast.lead)
    got = client.get(f"/staff/cases/{attachment.case_id}/attachments/{attachment.pk}/")
    assert got["Content-Type"].startswith("text/plain")
    assert got["Content-Disposition"] == 'attachment; filename="pic.txt"'


def test_the_reporter_downloads_their_own_files_and_adds_more_with_the_receipt(client, cast):
    filed = _report(client, cast, attachments=[_file("first.png", PNG)])
    receipt = re.search(r'id="receipt">([0-9A-Z-]+)<', filed.content.decode()).group(1)
    added = client.post(
        "/receipt/",
        {
            "receipt": receipt,
            "action": "add",
            "text": "One more photo.",
            "attachments": [_file("second.png", PNG)],
        },
    )
    assert added.status_code == 200
    page = added.content.decode()
    assert "Download first.png" in page
    assert "Download second.png" in page
    ids = re.findall(r'name="file" value="([0-9a-f-]+)"', page)
    got = client.post("/receipt/", {"receipt": receipt, "action": "file", "file": ids[0]})
    assert got.status_code == 200
    assert got.content == PNG
    assert got["Content-Disposition"].startswith("attachment;")

    # A staff note's file is not the reporter's, and a wrong receipt opens nothing.
    case = factories.declared(Report.objects.get().case, cast.lead)
    factories.sign_in(client, cast.lead)
    client.post(
        f"/staff/cases/{case.pk}/",
        {"action": "note", "text": "Photo of the badge.", "attachments": [_file("n.png", PNG)]},
    )
    note_file = Attachment.objects.get(note__isnull=False)
    client.logout()
    staff_only = {"receipt": receipt, "action": "file", "file": str(note_file.pk)}
    assert client.post("/receipt/", staff_only).status_code == 404
    wrong = {"receipt": "7K3M-QX2P-" + "A" * 20, "action": "file", "file": ids[0]}
    assert client.post("/receipt/", wrong).status_code == 404
    garbage = {"receipt": receipt, "action": "file", "file": "../../etc/passwd"}
    assert client.post("/receipt/", garbage).status_code == 404


def test_a_note_with_a_file_is_listed_for_the_team_and_leads_see_the_access_log(client, cast):
    case = factories.declared(
        factories.file_report(cast.event).report.case, cast.lead, cast.responder
    )
    factories.sign_in(client, cast.responder)
    response = client.post(
        f"/staff/cases/{case.pk}/",
        {"action": "note", "text": "See photo.", "attachments": [_file("badge.png", PNG)]},
    )
    assert response.status_code == 302
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "badge.png" in page
    assert "Access log" not in page  # leads only

    factories.sign_in(client, cast.lead)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Access log" in page
    assert "<bdi>Rita Responder</bdi>: added a note" in page
    assert "<bdi>Rita Responder</bdi>: opened the case" in page
    assert "<bdi>Lena Lead</bdi>: opened the case" in page
