"""What the web tier refuses or withholds, whatever the view."""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ombud.cases.models import Report

pytestmark = pytest.mark.django_db


def test_uploads_never_touch_the_disk_unencrypted(client, cast, settings):
    # Bigger than Django's default in-memory threshold (2.5 MB), and a stray file field.
    response = client.post(
        "/e/conf/report/",
        {
            "what_happened": "x",
            "attachments": SimpleUploadedFile("log.txt", b"line\n" * 700_000),
            "evidence": SimpleUploadedFile("a.bin", b"\0" * 100_000),
        },
    )
    assert response.status_code == 200
    assert Report.objects.get().attachments.count() == 1
    assert not any((settings.DATA_DIR / "tmp").iterdir())


def test_the_access_log_has_no_client_address_no_size_and_no_password_token(client, caplog, db):
    with caplog.at_level(logging.INFO, logger="ombud.access"):
        client.get("/staff/password/set/MQ/abc-123456789/", REMOTE_ADDR="198.51.100.7")
        client.get("/e/nope/")
    lines = [r.getMessage() for r in caplog.records if r.name == "ombud.access"]
    assert lines[0].startswith('"GET /staff/password/set/…/"')
    assert "abc-123456789" not in caplog.text
    assert "198.51.100.7" not in caplog.text
    assert lines[1].startswith('"GET /e/nope/" 404 ')


def test_the_demo_mailbox_is_only_for_this_computer(client, db):
    assert client.get("/demo/mailbox/", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/demo/mailbox/", REMOTE_ADDR="192.0.2.10").status_code == 404


def test_api_intake_wants_json_so_other_sites_cannot_post_through_browsers(client, cast):
    response = client.post(
        "/api/v1/events/conf/reports", '{"what_happened": "x"}', content_type="text/plain"
    )
    assert response.status_code == 415
    assert not Report.objects.exists()
