import re

import pytest
from django.test import Client, override_settings

from ombud.cases.models import Report
from ombud.vault import keys
from tests.markup import only_the_static_script

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(r'<p class="receipt" id="receipt">([0-9A-Z-]+)</p>')


def _form_page(client, slug="conf", query=""):
    response = client.get(f"/e/{slug}/report/{query}")
    key = re.search(r'name="submission_key" value="([^"]+)"', response.content.decode())
    return response, key.group(1)


def test_report_form_asks_about_danger_first_and_needs_no_javascript(client, cast):
    response, _key = _form_page(client)
    html = response.content.decode()
    assert response.status_code == 200
    assert only_the_static_script(html)
    assert html.index('name="danger_now"') < html.index('name="what_happened"')
    assert "do not interview" in html
    assert "do not make it public" in html
    assert 'href="tel:911"' in html
    # Only what happened is required.
    required = re.findall(r'<(?:input|textarea|select)[^>]*name="(\w+)"[^>]*\srequired', html)
    assert required == ["what_happened"]


def test_danger_link_puts_emergency_numbers_before_the_form(client, cast):
    response, _key = _form_page(client, query="?danger=yes")
    html = response.content.decode()
    assert html.index("If anyone is in danger right now") < html.index("<form")
    assert re.search(r'id="id_danger_now_0"[^>]*checked|checked[^>]*id="id_danger_now_0"', html)


def test_submitting_the_form_shows_a_receipt_once_and_files_the_report(client, cast):
    _response, key = _form_page(client)
    response = client.post(
        "/e/conf/report/",
        {"what_happened": "He followed me.", "submission_key": key, "law_enforcement": "no"},
    )
    assert response.status_code == 200
    receipt = RECEIPT.search(response.content.decode()).group(1)
    assert len(receipt.replace("-", "")) == 28
    assert response["Cache-Control"].count("no-store") == 1
    report = Report.objects.get()
    assert (report.channel, report.law_enforcement) == ("web", "no")


def test_resending_the_same_form_returns_the_same_receipt(client, cast):
    _response, key = _form_page(client)
    data = {"what_happened": "Bad wifi", "submission_key": key}
    first = RECEIPT.search(client.post("/e/conf/report/", data).content.decode()).group(1)
    again = client.post("/e/conf/report/", data)
    assert RECEIPT.search(again.content.decode()).group(1) == first
    assert "already received" in again.content.decode()
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Please tell us, in a few words, what happened."),
        ({"what_happened": "   "}, "Please tell us, in a few words, what happened."),
        ({"what_happened": "x" * 20_001}, "This is 20001 characters long; it can be up to 20000."),
        ({"what_happened": "ok", "who": "y" * 1001}, "it can be up to 1000. Please shorten it"),
        ({"what_happened": "nul\x00byte"}, "Null characters are not allowed."),
        ({"what_happened": "ok", "law_enforcement": "maybe"}, "Select a valid choice."),
        ({"what_happened": "ok", "exclude_staff": ["999999"]}, "Select a valid choice."),
    ],
)
def test_bad_input_shows_form_errors_and_stores_nothing(client, cast, data, message):
    response = client.post("/e/conf/report/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "has not been sent yet" in response.content.decode()
    assert not Report.objects.exists()


def test_invalid_utf8_is_replaced_not_a_server_error(client, cast):
    body = b"what_happened=caf%FF%FE&submission_key="
    response = client.post(
        "/e/conf/report/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Report.objects.count() == 1


def test_unknown_event_is_a_404(client, db):
    assert client.get("/e/nope/report/").status_code == 404
    assert client.post("/e/nope/report/", {"what_happened": "x"}).status_code == 404


def test_oversized_body_is_refused_with_400(client, cast):
    response = client.post("/e/conf/report/", {"what_happened": "x" * 300_000})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_expired_csrf_cookie_shows_the_report_again_ready_to_resend(cast):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/e/conf/report/", {"what_happened": "Please keep my words"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "has not been sent yet" in html
    assert "Please keep my words" in html
    assert not Report.objects.exists()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    resent = strict.post(
        "/e/conf/report/", {"what_happened": "Please keep my words", "csrfmiddlewaretoken": token}
    )
    assert resent.status_code == 200
    assert Report.objects.count() == 1


def test_a_flood_from_one_address_is_slowed_and_the_report_shown_again(client, cast, settings):
    settings.RATE_LIMITS = True
    from ombud.intake import throttle  # noqa: PLC0415
    from ombud.web import ratelimit  # noqa: PLC0415

    allowed, _window = ratelimit.LIMITS[throttle.FORM]
    for _ in range(allowed):
        ratelimit.hit(throttle.FORM, type("R", (), {"META": {"REMOTE_ADDR": "127.0.0.1"}})())
    response = client.post("/e/conf/report/", {"what_happened": "My words stay here"})
    html = response.content.decode()
    assert response.status_code == 429
    assert 'href="tel:911"' in html
    assert "My words stay here" in html
    assert "has not been sent yet" in html
    assert not Report.objects.exists()


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(rf, settings):
    from ombud.web import ratelimit  # noqa: PLC0415

    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.2", REMOTE_ADDR="10.0.0.1")
    settings.TRUSTED_PROXIES = 0
    assert ratelimit.client_address(request) == "10.0.0.1"
    settings.TRUSTED_PROXIES = 1
    assert ratelimit.client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXIES = 2
    assert ratelimit.client_address(request) == "203.0.113.9"


def test_missing_vault_key_file_is_a_clear_503_and_stores_nothing(client, cast, tmp_path):
    with override_settings(VAULT_KEY_FILE=tmp_path / "gone.json"):
        keys.load.cache_clear()
        try:
            response = client.post("/e/conf/report/", {"what_happened": "x"})
        finally:
            keys.load.cache_clear()
    assert response.status_code == 503
    assert "tell any staff member in person" in response.content.decode()
    assert not Report.objects.exists()


def test_report_pages_forbid_framing_referrers_and_inline_scripts(client, cast):
    response = client.get("/e/conf/report/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "script-src 'self'" in csp


def test_head_requests_are_answered(client, cast):
    assert client.head("/e/conf/report/").status_code == 200
    assert Report.objects.count() == 0


def test_when_nobody_could_be_alerted_the_receipt_page_says_so(client, cast):
    members = ["lead", "lead2", "responder"]
    keep_away = [str(cast.memberships[m].pk) for m in members if cast.memberships[m].shown_publicly]
    response = client.post(
        "/e/conf/report/",
        {"what_happened": "x", "exclude_staff": keep_away, "exclude_others": "Lou Second, Rita"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "nobody could be alerted automatically" in html
    assert 'href="tel:911"' in html
    assert "has been alerted" not in html
