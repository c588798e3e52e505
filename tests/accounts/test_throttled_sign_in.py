"""Past the failed-sign-in limit, the password and a code together still sign in.

Guessing from a venue's shared address must not lock the response team out,
and must not teach the guesser anything: every failure past the limit looks
the same, and wrong passwords never reach the person's authenticator.
"""

import re
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombud.accounts import secondfactor
from ombud.vault import holders
from tests import factories

pytestmark = pytest.mark.django_db

VENUE = "203.0.113.7"  # the venue's one public address, shared by guesser and lead
THROTTLED = "Too many failed sign-ins for this account."


@pytest.fixture(autouse=True)
def _limits_on(settings):
    settings.RATE_LIMITS = True


def _page(username, password, code=None, *, address=VENUE, client=None, **extra):
    data = {"username": username, "password": password, **extra}
    if code is not None:
        data["code"] = code
    return (client or Client()).post("/staff/login/", data, REMOTE_ADDR=address)


def _api(username, password, otp=None, *, address=VENUE):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return Client().post(
        "/api/v1/auth/token", body, content_type="application/json", REMOTE_ADDR=address
    )


def _guess(username, times, *, addresses=(VENUE,)):
    """Wrong passwords on the sign-in page, spread over the given addresses."""
    for attempt in range(times):
        _page(username, f"guess {attempt}", address=addresses[attempt % len(addresses)])


def _throttle_account(username):
    """50 wrong passwords from 50 addresses: no address is over its own limit."""
    _guess(username, 50, addresses=[f"198.51.100.{n}" for n in range(1, 51)])


def _same_page(response) -> str:
    """The page without what differs by design: the CSRF token and the echoed code."""
    html = response.content.decode()
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*', r"\1", html)
    return re.sub(r'(name="code") value="[^"]*"', r"\1", html)


def _wrong_code() -> str:
    return "000000" if factories.otp() != "000000" else "111111"


def _signed_in_and_verified(client) -> bool:
    # The dashboard: no second step asked for, nothing else in the way.
    return client.get("/staff/").status_code == 200


def test_the_password_alone_is_refused_while_the_venue_address_is_throttled(cast):
    _guess("lead", 10)
    refused = _page("lead", factories.PASSWORD)
    assert refused.status_code == 429
    html = refused.content.decode()
    assert THROTTLED in html
    # The page now asks for both in one step, labelled, keeping the username, not the password.
    assert '<label for="id_code">Code from your authenticator app</label>' in html
    assert 'autocomplete="one-time-code"' in html
    assert 'value="lead"' in html
    assert factories.PASSWORD not in html


def test_the_sign_in_page_asks_for_the_code_from_the_failure_that_reaches_the_limit(cast):
    _guess("lead", 8)
    ninth = _page("lead", "guess 9")
    assert ninth.status_code == 200
    assert "do not match" in ninth.content.decode()
    assert 'name="code"' not in ninth.content.decode()
    tenth = _page("lead", "guess 10")
    assert tenth.status_code == 429
    assert THROTTLED in tenth.content.decode()
    assert 'name="code"' in tenth.content.decode()


def test_a_lead_signs_in_with_password_and_code_while_the_address_is_throttled(cast):
    _guess("lead", 10)
    lead = Client()
    signed_in = _page(
        "lead", factories.PASSWORD, factories.otp(), client=lead, next="/staff/security/"
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/staff/security/"
    assert _signed_in_and_verified(lead)
    # The password unlocked the lead's key for the session, as on every sign-in.
    assert lead.cookies[holders.COOKIE].value


def test_a_lead_signs_in_with_password_and_code_while_the_account_is_throttled(cast):
    _throttle_account("lead")
    home = "192.0.2.55"  # an address that has never failed
    assert _page("lead", factories.PASSWORD, address=home).status_code == 429
    lead = Client()
    signed_in = _page("lead", factories.PASSWORD, factories.otp(), address=home, client=lead)
    assert signed_in.status_code == 302
    assert _signed_in_and_verified(lead)


def test_a_recovery_code_also_gets_a_lead_past_the_limit(cast):
    codes = secondfactor.new_recovery_codes(cast.lead)
    _guess("lead", 10)
    lead = Client()
    assert _page("lead", factories.PASSWORD, codes[0], client=lead).status_code == 302
    assert _signed_in_and_verified(lead)
    assert not StaticToken.objects.filter(device__user=cast.lead, token=codes[0]).exists()


def test_the_api_issues_a_token_for_password_and_otp_while_throttled(cast):
    _guess("lead", 10)
    assert _api("lead", factories.PASSWORD).status_code == 429
    issued = _api("lead", factories.PASSWORD, factories.otp())
    assert issued.status_code == 200
    me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {issued.json()['token']}")
    assert me.json()["username"] == "lead"


def test_the_api_issues_a_token_for_password_and_otp_while_the_account_is_throttled(cast):
    _throttle_account("lead")
    assert _api("lead", factories.PASSWORD, address="192.0.2.55").status_code == 429
    assert (
        _api("lead", factories.PASSWORD, factories.otp(), address="192.0.2.55").status_code == 200
    )


def test_staff_who_read_no_reports_but_have_an_authenticator_use_it_too(cast):
    # The authenticator proves who they are, whether or not their role requires it.
    _guess("staffer", 10)
    assert _page("staffer", factories.PASSWORD).status_code == 429
    assert _page("staffer", factories.PASSWORD, factories.otp()).status_code == 302


@pytest.mark.parametrize("throttle", ["pair", "account"])
def test_an_account_without_a_second_factor_stays_throttled(cast, throttle):
    TOTPDevice.objects.filter(user=cast.staff).delete()
    StaticDevice.objects.filter(user=cast.staff).delete()
    if throttle == "pair":
        _guess("staffer", 10)
    else:
        _throttle_account("staffer")
    for code in (None, "", "123456", factories.otp()):
        page = _page("staffer", factories.PASSWORD, code)
        assert page.status_code == 429
        assert THROTTLED in page.content.decode()
        api = _api("staffer", factories.PASSWORD, code)
        assert api.status_code == 429
    # Control: from elsewhere, and under the account's own limit, the password alone works.
    if throttle == "pair":
        assert _page("staffer", factories.PASSWORD, address="192.0.2.9").status_code == 302


def test_a_throttled_failure_looks_the_same_whichever_part_was_wrong(cast):
    secondfactor.new_recovery_codes(cast.lead)
    _guess("lead", 10)
    wrong_code = _wrong_code()
    attempts = {
        "wrong password, right code": ("not it", factories.otp()),
        "right password, wrong code": (factories.PASSWORD, wrong_code),
        "right password, no code": (factories.PASSWORD, ""),
        "wrong password, no code": ("not it", ""),
        "wrong password, wrong code": ("not it", wrong_code),
    }
    pages = {name: _page("lead", pw, code) for name, (pw, code) in attempts.items()}
    _guess("nobody-here", 10)  # an account that does not exist is throttled all the same
    pages["unknown account"] = _page("nobody-here", "not it", "")
    statuses = {name: page.status_code for name, page in pages.items()}
    assert set(statuses.values()) == {429}, statuses
    expected = _same_page(pages["wrong password, no code"]).replace("nobody-here", "lead")
    for name, page in pages.items():
        assert _same_page(page).replace("nobody-here", "lead") == expected, name

    time.sleep(1.1)  # the right password's wrong code made django-otp wait; let it pass
    bodies = {
        name: (response.status_code, response.json())
        for name, response in {
            "wrong password, right code": _api("lead", "not it", factories.otp()),
            "right password, wrong code": _api("lead", factories.PASSWORD, wrong_code),
            "right password, no code": _api("lead", factories.PASSWORD),
            "wrong password, no code": _api("lead", "not it"),
            "unknown account": _api("nobody-here", "not it", factories.otp()),
        }.items()
    }
    assert len(set(map(repr, bodies.values()))) == 1, bodies
    assert bodies["right password, no code"][0] == 429


def test_a_code_refused_by_the_authenticators_back_off_looks_like_any_other_failure(cast):
    _guess("lead", 10)
    wrong_code = _wrong_code()
    wrong = _page("lead", factories.PASSWORD, wrong_code)
    too_soon = _page("lead", factories.PASSWORD, factories.otp())  # django-otp: wait first
    assert too_soon.status_code == wrong.status_code == 429
    assert _same_page(too_soon) == _same_page(wrong)
    time.sleep(1.1)
    assert _page("lead", factories.PASSWORD, factories.otp()).status_code == 302


def test_wrong_passwords_never_touch_the_leads_authenticator(cast):
    codes = secondfactor.new_recovery_codes(cast.lead)
    _guess("lead", 10)
    device = TOTPDevice.objects.get(user=cast.lead)
    before = (device.throttling_failure_count, device.throttling_failure_timestamp, device.last_t)
    for attempt in range(20):
        _page("lead", f"guess {attempt}", _wrong_code())
        _api("lead", f"guess {attempt}", _wrong_code())
        _page("lead", "guess", codes[0])  # a real recovery code, with a wrong password
    device.refresh_from_db()
    after = (device.throttling_failure_count, device.throttling_failure_timestamp, device.last_t)
    assert after == before
    assert StaticToken.objects.filter(device__user=cast.lead, token=codes[0]).exists()
    # No back-off to wait out: the lead's code works at once.
    assert _page("lead", factories.PASSWORD, factories.otp()).status_code == 302
    # Control: the right password with a wrong code does reach the authenticator.
    _page("lead", factories.PASSWORD, _wrong_code())
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_the_confirm_it_is_you_page_stays_throttled_even_with_a_code(cast):
    lead = factories.sign_in(Client(), cast.lead)
    for _attempt in range(10):
        lead.post("/staff/login/again/", {"password": "not it"})
    right = lead.post("/staff/login/again/", {"password": factories.PASSWORD, "code": "x"})
    assert right.status_code == 400
    assert "Too many wrong passwords" in right.content.decode()


def test_under_the_limit_the_password_alone_signs_in_and_the_code_follows(cast):
    _guess("lead", 9)
    lead = Client()
    response = _page("lead", factories.PASSWORD, client=lead)
    assert response.status_code == 302
    assert lead.get("/staff/")["Location"].startswith("/staff/login/verify/")


def test_password_and_code_sent_after_the_limit_ended_sign_in_in_one_step(cast):
    _guess("lead", 10)
    cache.clear()  # the window ends while the lead types the code
    lead = Client()
    assert _page("lead", factories.PASSWORD, factories.otp(), client=lead).status_code == 302
    assert _signed_in_and_verified(lead)
    # A wrong code is not a failed sign-in then: the second step follows as usual.
    other = Client()
    assert _page("lead2", factories.PASSWORD, _wrong_code(), client=other).status_code == 302
    assert other.get("/staff/")["Location"].startswith("/staff/login/verify/")
