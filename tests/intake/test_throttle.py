"""A flood from one address (a venue NAT shares one among thousands) cannot lock that
address's reporters out: the API and the form have separate budgets, and forms
loaded a while before they were sent have an allowance of their own."""

import json
import re
import time
from unittest import mock

import pytest
from django.core import signing

from ombud.cases.models import Report
from ombud.intake import throttle
from ombud.web import ratelimit
from tests import factories

pytestmark = pytest.mark.django_db

INTAKE_API = "/api/v1/events/conf/reports"
FORM = "/e/conf/report/"
RECEIPT = re.compile(r'<p class="receipt" id="receipt">([0-9A-Z-]+)</p>')
VENUE = "198.51.100.20"  # the venue's one shared address


@pytest.fixture(autouse=True)
def _limits_on(settings):
    """Limits on, and their fixed windows held still: a test that ran across the end
    of a window would see its counts start again."""
    settings.RATE_LIMITS = True
    clock = mock.Mock(wraps=time)
    clock.time.return_value = time.time()
    with mock.patch.object(ratelimit, "time", clock):
        yield


class _From:
    def __init__(self, address):
        self.META = {"REMOTE_ADDR": address}


def _use_up(scope, address=VENUE, leave=0):
    allowed, _window = ratelimit.LIMITS[scope]
    for _ in range(allowed - leave):
        ratelimit.hit(scope, _From(address))


def _api(client, text, address=VENUE, **headers):
    return client.post(
        INTAKE_API,
        json.dumps({"what_happened": text}),
        content_type="application/json",
        REMOTE_ADDR=address,
        **headers,
    )


def _load_form(client, address=VENUE, seconds_ago=0):
    """The form's hidden fields, as a browser loading it ``seconds_ago`` got them."""
    fake = mock.Mock(wraps=time)
    fake.time.return_value = time.time() - seconds_ago
    with mock.patch.object(throttle, "time", fake):
        html = client.get(FORM, REMOTE_ADDR=address).content.decode()
    return dict(re.findall(r'type="hidden" name="(submission_key|loaded)" value="([^"]*)"', html))


def _send_form(client, hidden, text, address=VENUE):
    return client.post(FORM, {**hidden, "what_happened": text}, REMOTE_ADDR=address)


def test_after_400_api_reports_a_freshly_loaded_form_from_that_address_is_accepted(client, cast):
    answers = [_api(client, f"flood {n}").status_code for n in range(400)]
    allowed, _window = ratelimit.LIMITS[throttle.API]
    # The flooder is slowed: the API's own budget, then 429s.
    assert answers == [201] * allowed + [429] * (400 - allowed)
    # A different person behind the same address loads the form and sends it at once.
    response = _send_form(client, _load_form(client), "He would not leave me alone.")
    assert response.status_code == 200
    assert RECEIPT.search(response.content.decode())
    assert Report.objects.filter(channel="web").count() == 1


def test_the_api_is_told_plainly_when_its_budget_is_spent(client, cast):
    _use_up(throttle.API)
    refused = _api(client, "one too many")
    assert refused.status_code == 429
    assert "ask a staff member" in refused.json()["detail"]
    # Another address is not affected.
    assert _api(client, "from elsewhere", address="192.0.2.1").status_code == 201


def test_a_flood_through_the_form_leaves_room_for_forms_loaded_a_while_before(client, cast):
    _use_up(throttle.FORM)
    # A form sent the moment it was loaded, as a flooding script does: refused, kept.
    fresh = _send_form(client, _load_form(client), "Sent at once")
    assert fresh.status_code == 429
    assert "Sent at once" in fresh.content.decode()
    assert "has not been sent yet" in fresh.content.decode()
    # Someone who took a moment to write gets through on the second allowance.
    written = _send_form(client, _load_form(client, seconds_ago=throttle.LATE_AFTER), "I wrote")
    assert written.status_code == 200
    assert RECEIPT.search(written.content.decode())
    # That allowance is per address too: a form stamp alone opens nothing.
    _use_up(throttle.FORM_LATE, leave=1)
    late = _load_form(client, seconds_ago=60)
    again = _send_form(client, late, "After the second allowance too")
    assert again.status_code == 429
    assert "After the second allowance too" in again.content.decode()
    assert Report.objects.count() == 1


def test_the_refused_form_keeps_its_stamp_so_a_resend_later_gets_through(client, cast):
    _use_up(throttle.FORM)
    hidden = _load_form(client)
    refused = _send_form(client, hidden, "Please keep this").content.decode()
    kept = re.search(r'name="loaded" value="([^"]*)"', refused).group(1)
    assert kept == hidden["loaded"]
    fake = mock.Mock(wraps=time)
    fake.time.return_value = time.time() + throttle.LATE_AFTER
    with mock.patch.object(throttle, "time", fake):
        resent = _send_form(client, hidden, "Please keep this")
    assert resent.status_code == 200


# Built in the test, not at collection: signed stamps carry the time, and each test
# process must collect the same ids.
STAMPS = {
    "missing": lambda: "",
    "not a stamp": lambda: "not a stamp",
    "another purpose": lambda: signing.dumps(0, salt="another.purpose"),
    "not a time": lambda: signing.dumps(True, salt=throttle._SALT),
    "a string": lambda: signing.dumps("1", salt=throttle._SALT),
    "NUL bytes": lambda: "\x00" * 3,
}


@pytest.mark.parametrize("kind", STAMPS)
def test_a_missing_or_forged_stamp_gets_no_second_allowance_and_is_no_error(client, cast, kind):
    stamp = STAMPS[kind]()
    _use_up(throttle.FORM)
    response = _send_form(client, {"loaded": stamp}, "Stamped oddly")
    assert response.status_code == 429
    assert "Stamped oddly" in response.content.decode()


def test_a_stamp_older_than_a_day_gets_no_second_allowance(client, cast):
    _use_up(throttle.FORM)
    stale = _load_form(client, seconds_ago=throttle.LATE_UNTIL + 60)
    assert _send_form(client, stale, "left open for days").status_code == 429
    day_old = _load_form(client, seconds_ago=throttle.LATE_UNTIL - 60)
    assert _send_form(client, day_old, "left open overnight").status_code == 200


def test_a_flood_through_the_form_does_not_touch_the_api_budget(client, cast):
    _use_up(throttle.FORM)
    _use_up(throttle.FORM_LATE)
    assert _api(client, "through the API").status_code == 201


def test_staff_assisted_reports_are_exempt_from_every_report_budget(client, cast, signed_in):
    for scope in (throttle.API, throttle.FORM, throttle.FORM_LATE):
        _use_up(scope)
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "staffer", "password": factories.PASSWORD}),
        content_type="application/json",
        REMOTE_ADDR=VENUE,
    ).json()["token"]
    by_api = _api(client, "taken by staff", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert by_api.status_code == 201
    staff = signed_in(cast.staff)
    page = staff.post(
        "/staff/events/conf/report/",
        {"channel": "in_person", "what_happened": "taken at the desk"},
        REMOTE_ADDR=VENUE,
    )
    assert page.status_code == 200
    assert RECEIPT.search(page.content.decode())
    assert Report.objects.filter(taken_by=cast.staff).count() == 2


def test_the_form_carries_a_signed_load_time(client, cast):
    before = int(time.time())
    hidden = _load_form(client)
    assert before <= throttle.loaded_at(hidden["loaded"]) <= time.time()
    assert throttle.loaded_at(hidden["loaded"] + "0") is None
