"""An attendee on the venue Wi-Fi cannot keep the response team from signing in.

The real demo server with its rate limits on: one address makes 50 wrong
sign-in attempts against a lead's account (past the per-address and the
per-account limits), and the lead, from the same address, still signs in with
the password and the code together — on the page and through the API.
"""

import urllib.parse

import pytest

from tests.live import DEMO_PASSWORD, demo_otp
from tests.system.http import Session

pytestmark = pytest.mark.system

LEAD = "chair"


def _guess(session: Session, attempt: int):
    """One wrong password, on the page or through the API by turns."""
    if attempt % 2:
        return session.request(
            "POST",
            "/api/v1/auth/token",
            json_body={"username": LEAD, "password": f"guess {attempt}", "otp": "000000"},
        )
    return session.post_form("/staff/login/", {"username": LEAD, "password": f"guess {attempt}"})


def test_fifty_wrong_sign_ins_from_one_address_do_not_keep_a_lead_out(rate_limited_demo):
    base = rate_limited_demo.base_url
    attendee = Session(base)
    answers = [_guess(attendee, attempt).status for attempt in range(50)]
    assert answers[:10] == [200, 401] * 5, answers  # wrong passwords, told so…
    assert set(answers[10:]) == {429}, answers  # …then the limit, for the rest of the window

    lead = Session(base)  # the same address: loopback, as the attendee
    alone = lead.post_form("/staff/login/", {"username": LEAD, "password": DEMO_PASSWORD})
    assert alone.status == 429
    assert "Too many failed sign-ins for this account" in alone.text
    assert 'name="code"' in alone.text  # the page now asks for both in one step
    assert urllib.parse.urlsplit(alone.url).path == "/staff/login/"

    signed_in = lead.post_form(
        "/staff/login/", {"username": LEAD, "password": DEMO_PASSWORD, "code": demo_otp()}
    )
    assert signed_in.status == 200
    assert urllib.parse.urlsplit(signed_in.url).path == "/staff/"  # no second step left
    dashboard = lead.get("/staff/")
    assert (dashboard.status, urllib.parse.urlsplit(dashboard.url).path) == (200, "/staff/")

    token_alone = lead.request(
        "POST", "/api/v1/auth/token", json_body={"username": LEAD, "password": DEMO_PASSWORD}
    )
    assert token_alone.status == 429
    token = lead.request(
        "POST",
        "/api/v1/auth/token",
        json_body={"username": LEAD, "password": DEMO_PASSWORD, "otp": demo_otp()},
    )
    assert token.status == 200
    me = lead.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert me.json()["username"] == LEAD
