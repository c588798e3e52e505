"""Signing in: password, second factor, recovery codes, session limits."""

import re
import time

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombud.accounts.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db


def _password_login(client, username):
    return client.post(
        "/staff/login/", {"username": username, "password": factories.PASSWORD}, follow=False
    )


def test_someone_who_reads_reports_gives_a_code_after_the_password(client, cast):
    _password_login(client, "lead")
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/verify/?next=")
    wrong = client.post("/staff/login/verify/", {"code": "000000", "next": "/staff/"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    too_soon = client.post("/staff/login/verify/", {"code": factories.otp(), "next": "/staff/"})
    assert "wait a few seconds" in too_soon.content.decode()
    time.sleep(1.1)  # django-otp doubles the wait after every wrong code, starting at 1 s
    right = client.post("/staff/login/verify/", {"code": factories.otp(), "next": "/staff/"})
    assert right["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_plain_staff_need_no_second_factor(client, cast):
    _password_login(client, "staffer")
    assert client.get("/staff/").status_code == 200


def test_without_an_authenticator_a_responder_must_set_one_up_first(client, cast):
    TOTPDevice.objects.filter(user=cast.responder).delete()
    _password_login(client, "responder")
    response = client.get("/staff/cases/00000000-0000-4000-8000-000000000000/")
    assert response["Location"].startswith("/staff/2fa/setup/")
    page = client.get("/staff/2fa/setup/")
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user=cast.responder, confirmed=False)
    from django_otp.oath import TOTP  # noqa: PLC0415

    code = f"{TOTP(device.bin_key).token():06d}"
    assert client.post("/staff/2fa/setup/", {"code": "123456"}).status_code == 400
    time.sleep(1.1)
    done = client.post("/staff/2fa/setup/", {"code": code})
    codes = re.findall(r"<li>([0-9a-f]{10})</li>", done.content.decode())
    assert len(codes) == 10
    assert client.get("/staff/").status_code == 200


def test_a_recovery_code_works_once(cast):
    from ombud.accounts import secondfactor  # noqa: PLC0415

    codes = secondfactor.new_recovery_codes(cast.lead)
    first, second = Client(), Client()
    for browser in (first, second):
        _password_login(browser, "lead")
    assert first.post("/staff/login/verify/", {"code": codes[0]}).status_code == 302
    assert second.post("/staff/login/verify/", {"code": codes[0]}).status_code == 400


def test_an_idle_session_ends(client, cast, settings):
    factories.sign_in(client, cast.lead)
    assert client.get("/staff/").status_code == 200
    session = client.session
    session["seen_at"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 1
    session.save()
    response = client.get("/staff/")
    assert response["Location"] == "/staff/login/?expired=1"
    assert client.get("/staff/")["Location"].startswith("/staff/login/")


def test_a_session_in_constant_use_still_ends_after_the_absolute_limit(client, cast, settings):
    factories.sign_in(client, cast.lead)
    session = client.session
    now = int(time.time())
    session["seen_at"] = now  # used a moment ago: not idle
    session["signed_in_at"] = now - settings.SESSION_COOKIE_AGE - 1
    session.save()
    assert client.get("/staff/")["Location"] == "/staff/login/?expired=1"


def test_a_new_password_ends_the_api_tokens_the_old_one_issued(client, cast):
    ApiToken.issue(cast.lead)
    factories.sign_in(client, cast.lead)
    client.post("/staff/login/again/", {"password": factories.PASSWORD})
    response = client.post(
        "/staff/security/password/",
        {
            "old_password": factories.PASSWORD,
            "new_password1": "a different long passphrase",
            "new_password2": "a different long passphrase",
        },
    )
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=cast.lead).exists()


def test_password_guessing_on_the_confirm_it_is_you_page_is_throttled(client, cast):
    factories.sign_in(client, cast.lead)
    for _attempt in range(10):
        wrong = client.post("/staff/login/again/", {"password": "not it"})
        assert "That is not your password." in wrong.content.decode()
    right = client.post("/staff/login/again/", {"password": factories.PASSWORD})
    assert right.status_code == 400
    assert "Too many wrong passwords" in right.content.decode()


def test_the_database_alone_does_not_open_a_tokens_private_key(cast):
    from ombud.vault import crypto, holders, people  # noqa: PLC0415
    from ombud.vault.errors import Tampered  # noqa: PLC0415

    row, token = ApiToken.issue(cast.lead, people.unlock(cast.lead, factories.PASSWORD))
    assert holders.open_for_token(token, cast.lead.pk, row.sealed_private)
    stored = bytes.fromhex(row.digest)  # what a stolen database holds about the token
    for salt, info in ((b"", b"ombud token key/1"), (b"ombud token key", b"ombud token key/2")):
        key = crypto.derive_key(stored, salt=salt, info=info)
        with pytest.raises(Tampered):
            crypto.open_sealed(
                key, bytes(row.sealed_private), f"ombud-session-key/1|{cast.lead.pk}".encode()
            )


def test_sign_out_everywhere_ends_every_session_and_token(cast):
    laptop, phone = Client(), Client()
    factories.sign_in(laptop, cast.lead)
    factories.sign_in(phone, cast.lead)
    ApiToken.issue(cast.lead)
    phone.post("/staff/security/", {"action": "sign_out_everywhere"})
    assert laptop.get("/staff/")["Location"].startswith("/staff/login/")
    assert not ApiToken.objects.filter(user=cast.lead).exists()


def test_new_recovery_codes_need_the_password_again(client, cast):
    factories.sign_in(client, cast.lead)
    session = client.session
    session["auth_at"] = int(time.time()) - 3600
    session.save()
    response = client.get("/staff/security/recovery-codes/")
    assert response["Location"].startswith("/staff/login/again/")
    wrong = client.post("/staff/login/again/", {"password": "nope"})
    assert wrong.status_code == 400
    again = client.post(
        "/staff/login/again/",
        {"password": factories.PASSWORD, "next": "/staff/security/recovery-codes/"},
    )
    assert again["Location"] == "/staff/security/recovery-codes/"
    made = client.post("/staff/security/recovery-codes/")
    assert len(re.findall(r"<li>([0-9a-f]{10})</li>", made.content.decode())) == 10


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/x", "javascript:x"])
def test_no_open_redirect_after_the_second_factor(client, cast, target):
    _password_login(client, "lead")
    response = client.post("/staff/login/verify/", {"code": factories.otp(), "next": target})
    assert response["Location"] == "/staff/"


def test_password_guessing_on_the_sign_in_page_is_throttled_per_account(client, cast, settings):
    settings.RATE_LIMITS = True
    for _ in range(10):
        client.post("/staff/login/", {"username": "lead", "password": "guess"})
    blocked = client.post("/staff/login/", {"username": "lead", "password": factories.PASSWORD})
    assert "Too many failed sign-ins" in blocked.content.decode()
    other = Client()
    assert _password_login(other, "lead2").status_code == 302


def test_a_code_is_refused_a_second_time_outside_demo_mode(cast, settings):
    from ombud.accounts import secondfactor  # noqa: PLC0415

    code = factories.otp()
    settings.DEMO_MODE = True
    assert secondfactor.verify(cast.lead, code) is not None
    assert secondfactor.verify(cast.lead, code) is not None  # scripts sign in again and again
    settings.DEMO_MODE = False
    assert secondfactor.verify(cast.lead2, code) is not None
    assert secondfactor.verify(cast.lead2, code) is None  # replayed
