"""Resend boxes: a resent form (a lost reply on bad Wi-Fi) gets its first receipt back,
and nobody else does, not even with the database and the server key file."""

import contextlib
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.cases.models import Report
from ombud.intake import browser
from ombud.intake.services import (
    RESEND_WINDOW,
    STAFF_RESEND_WINDOW,
    _content_fingerprint,
    forget_resend_boxes,
    submit_report,
)
from ombud.vault import crypto, keys, receipts
from ombud.vault.errors import Tampered
from tests import factories

pytestmark = pytest.mark.django_db

INTAKE = "/api/v1/events/conf/reports"
# A client that numbers its Idempotency-Keys: long enough, and still guessable.
GUESSABLE = [f"idempotency-key-{n:07d}" for n in range(300)]


def _opens(key: bytes, report) -> bool:
    try:
        crypto.open_sealed(key, bytes(report.resend_box), f"resend|{report.pk}".encode())
    except Tampered:
        return False
    return True


def _key_only_derivation(lookup_key: bytes, submission_key: str, report) -> bytes:
    """How boxes were sealed before they were bound to the content: the key alone."""
    secret = hmac.new(lookup_key, f"resend\0{submission_key}".encode(), hashlib.sha256).digest()
    return crypto.derive_key(secret, salt=report.pk.bytes, info=b"ombud resend/1")


def test_with_the_database_and_the_key_file_enumerating_keys_opens_no_box(cast):
    """The attacker holds every row and the server key file, and tries every key the
    client could have used, but does not know what the report says."""
    data = factories.report_input(what_happened="He cornered me by the lifts after the keynote.")
    first = submit_report(cast.event, data, submission_key=GUESSABLE[137])
    report = Report.objects.get()
    lookup_key = keys.load().lookup_key

    # Keyed with the key file, from the Idempotency-Key alone (the old box): nothing opens.
    assert not [k for k in GUESSABLE if _opens(_key_only_derivation(lookup_key, k, report), report)]
    # Nor with the current derivation and content they can guess: empty, a default, a stock line.
    guessed = [
        _content_fingerprint(factories.report_input(what_happened=text))
        for text in ("", "Something happened.", "harassment", "He cornered me.")
    ]
    opened = []
    for key in GUESSABLE:
        for fingerprint in guessed:
            with contextlib.suppress(Tampered):
                opened.append(receipts.open_resend(key, fingerprint, report.pk, report.resend_box))
    assert opened == []

    # The reporter who resends the same key with the same content does open it.
    fingerprint = _content_fingerprint(data)
    assert receipts.open_resend(GUESSABLE[137], fingerprint, report.pk, report.resend_box) == (
        first.receipt
    )
    again = submit_report(cast.event, data, submission_key=GUESSABLE[137])
    assert (again.repeated, again.receipt) == (True, first.receipt)


def test_the_resend_box_cannot_be_opened_from_the_database_alone(cast, tmp_path, settings):
    data = factories.report_input()
    submit_report(cast.event, data, submission_key=GUESSABLE[0])
    report = Report.objects.get()
    fingerprint = _content_fingerprint(data)
    # Without the key file, even the right key and content derive nothing that opens it.
    naive = crypto.derive_key(
        f"{GUESSABLE[0]}\0{fingerprint}".encode(), salt=report.pk.bytes, info=b"ombud resend/2"
    )
    assert not _opens(naive, report)
    settings.VAULT_KEY_FILE = tmp_path / "other-keys.json"
    keys.load.cache_clear()
    try:
        keys.create()
        with pytest.raises(Tampered):
            receipts.open_resend(GUESSABLE[0], fingerprint, report.pk, report.resend_box)
    finally:
        keys.load.cache_clear()


def test_a_box_sealed_the_old_way_is_forgotten_and_the_resend_filed_anew(cast):
    """Boxes from before an upgrade do not open any more: the resend is a new report,
    never a server error."""
    data = factories.report_input(what_happened="sent before the upgrade")
    first = submit_report(cast.event, data, submission_key=GUESSABLE[1])
    report = Report.objects.get()
    old_key = _key_only_derivation(keys.load().lookup_key, GUESSABLE[1], report)
    old_box = crypto.seal(old_key, first.receipt.encode(), f"resend|{report.pk}".encode())
    Report.objects.filter(pk=report.pk).update(resend_box=old_box)
    again = submit_report(cast.event, data, submission_key=GUESSABLE[1])
    assert not again.repeated
    assert again.receipt != first.receipt
    report.refresh_from_db()
    assert (report.resend_box, report.submission_digest) == (None, None)
    assert Report.objects.count() == 2


@pytest.mark.parametrize("length", [1, 8, 16, 21, 129])
def test_the_service_refuses_submission_keys_outside_22_to_128_characters(cast, length):
    with pytest.raises(ValueError, match="22 to 128"):
        submit_report(cast.event, factories.report_input(), submission_key="k" * length)
    assert not Report.objects.exists()


def test_a_staff_taken_report_is_handed_back_to_staff_for_15_minutes_only(cast):
    data = factories.report_input(
        what_happened="Told me at the desk", channel="in_person", taken_by=cast.staff
    )
    first = submit_report(cast.event, data, submission_key=GUESSABLE[2])
    # A lost reply: the same form again, at once, gets the same receipt.
    assert submit_report(cast.event, data, submission_key=GUESSABLE[2]).receipt == first.receipt
    Report.objects.update(received_at=timezone.now() - STAFF_RESEND_WINDOW - timedelta(seconds=1))
    later = submit_report(cast.event, data, submission_key=GUESSABLE[2])
    assert not later.repeated
    assert later.receipt != first.receipt
    kept = Report.objects.get(pk=first.report.pk)
    assert (kept.resend_box, kept.submission_digest) == (None, None)


def test_housekeeping_forgets_staff_boxes_after_15_minutes_and_others_after_a_day(cast):
    staff = submit_report(
        cast.event,
        factories.report_input(channel="phone", taken_by=cast.staff),
        submission_key=GUESSABLE[3],
    )
    web = submit_report(cast.event, factories.report_input(), submission_key=GUESSABLE[4])
    Report.objects.update(received_at=timezone.now() - STAFF_RESEND_WINDOW - timedelta(minutes=1))
    assert forget_resend_boxes(timezone.now()) == 1
    assert Report.objects.get(pk=staff.report.pk).resend_box is None
    assert Report.objects.get(pk=web.report.pk).resend_box is not None
    Report.objects.update(received_at=timezone.now() - RESEND_WINDOW - timedelta(minutes=1))
    assert forget_resend_boxes(timezone.now()) == 1
    assert not Report.objects.filter(resend_box__isnull=False).exists()


def _api(client, key, text="once", **headers):
    return client.post(
        INTAKE,
        json.dumps({"what_happened": text}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **headers,
    )


def test_the_api_refuses_idempotency_keys_shorter_than_22_characters(client, cast):
    refused = _api(client, "k" * 21)
    assert refused.status_code == 422
    assert "22 to 128" in refused.json()["detail"]
    assert "128 bits" in refused.json()["detail"]
    assert not Report.objects.exists()
    first = _api(client, "k" * 22)
    again = _api(client, "k" * 22)
    assert first.status_code == again.status_code == 201
    assert again.json()["receipt"] == first.json()["receipt"]
    assert again.json()["repeated"] is True
    assert Report.objects.count() == 1


def test_staff_with_a_token_get_the_receipt_back_only_within_15_minutes(client, cast):
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "staffer", "password": factories.PASSWORD}),
        content_type="application/json",
    ).json()["token"]
    staff = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    first = _api(client, GUESSABLE[5], "told me", **staff).json()
    assert _api(client, GUESSABLE[5], "told me", **staff).json()["receipt"] == first["receipt"]
    Report.objects.update(received_at=timezone.now() - STAFF_RESEND_WINDOW - timedelta(seconds=1))
    later = _api(client, GUESSABLE[5], "told me", **staff).json()
    assert later["receipt"] != first["receipt"]
    assert later["repeated"] is False


def test_the_forms_submission_key_must_have_22_characters_to_make_a_resend_safe(client, cast):
    page = client.get("/e/conf/report/").content.decode()
    issued = page.split('name="submission_key" value="')[1].split('"')[0]
    assert len(issued) >= 22
    # The key alone: not the browser's own resend (tests/intake/test_browser_resend.py).
    del client.cookies[browser.COOKIE]
    # A key the form did not issue (too short) costs the resend guarantee, not the report.
    for _ in range(2):
        response = client.post(
            "/e/conf/report/", {"what_happened": "x", "submission_key": "k" * 21}
        )
        assert response.status_code == 200
    assert Report.objects.count() == 2
    assert not Report.objects.filter(resend_box__isnull=False).exists()
    for _ in range(2):
        client.post("/e/conf/report/", {"what_happened": "y", "submission_key": issued})
    assert Report.objects.count() == 3
    assert Report.objects.filter(resend_box__isnull=False).count() == 1
