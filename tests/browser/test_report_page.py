"""The report page on bad Wi-Fi and a small phone: few, small, first-party requests,
a strict Content-Security-Policy, and no sideways scrolling where people read."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    EVENT,
    PHONE,
    declare_no_conflict,
    file_case,
    send_report,
    sign_in_at,
)

pytestmark = pytest.mark.browser

BUDGET_BYTES = 30 * 1024
BUDGET_REQUESTS = 3
# One unbreakable "word" far wider than a phone, as pasted links and handles are.
LONG = "https://chat.example.org/" + "x" * 160


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize("javascript", [False, True], ids=["without script", "with script"])
def test_report_form_stays_within_its_budget(new_context, module_demo_server, javascript, language):
    """In every language. With script, the page's one small file (quick exit) is the
    third request."""
    base = module_demo_server.base_url
    page = new_context(javascript=javascript, language=language).new_page()
    requests = []

    def record(request):  # Playwright cannot take a builtin such as list.append
        requests.append(request)

    page.on("request", record)
    response = page.goto(f"{base}/e/{EVENT}/report/", wait_until="load")
    assert response is not None
    assert response.ok
    assert page.locator("html").get_attribute("lang") == language
    page.wait_for_load_state("networkidle")

    urls = [request.url for request in requests]
    assert {_origin(url) for url in urls} == {_origin(base)}, urls
    assert len(requests) <= BUDGET_REQUESTS, urls
    expected = {"document", "stylesheet"} | ({"script"} if javascript else set())
    assert {request.resource_type for request in requests} >= expected, urls

    sizes = {}
    for request in requests:
        served = request.response()
        assert served is not None, request.url
        assert served.ok, (request.url, served.status)
        # Uncompressed body plus headers: at least what crossed the wire.
        sizes[request.url] = len(served.body()) + request.sizes()["responseHeadersSize"]
    assert sum(sizes.values()) <= BUDGET_BYTES, sizes


def test_report_form_forbids_inline_script_and_style(new_context, module_demo_server):
    page = new_context(javascript=False).new_page()
    response = page.goto(f"{module_demo_server.base_url}/e/{EVENT}/report/")
    assert response is not None
    policy = response.headers.get("content-security-policy")
    assert policy, response.headers
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    directives = dict(d.strip().partition(" ")[::2] for d in policy.split(";"))
    assert directives["default-src"] == "'none'", policy


def _fits_the_phone(page: Page) -> None:
    scroll_width, client_width = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert client_width == PHONE["width"]
    assert scroll_width <= client_width, f"{page.url} scrolls sideways: {scroll_width}px"


def test_report_form_and_receipt_fit_a_phone_screen(new_context, module_demo_server):
    page = new_context().new_page()  # measuring needs script; the pages have none
    page.goto(f"{module_demo_server.base_url}/e/{EVENT}/report/?danger=yes")
    _fits_the_phone(page)
    send_report(page, module_demo_server.base_url, f"PHONE-1: he posted {LONG}", who=LONG)
    _fits_the_phone(page)


def test_case_page_fits_a_phone_screen_with_long_unbroken_text(new_context, module_demo_server):
    base = module_demo_server.base_url
    case_id = file_case(
        base,
        what_happened=f"PHONE-2: he keeps posting {LONG} about her",
        who=LONG,
        circumstances=LONG,
        danger_now=True,
    )
    page = new_context().new_page()
    sign_in_at(page, base, "chair")
    page.goto(f"{base}/staff/cases/{case_id}/")
    declare_no_conflict(page)
    expect(page.locator("main")).to_contain_text("PHONE-2")
    page.get_by_label("Message to the reporter", exact=True).fill(f"Is this the account? {LONG}")
    page.get_by_role("button", name="Send to the reporter").click()
    expect(page.get_by_role("status")).to_contain_text("Message sent to the reporter.")
    _fits_the_phone(page)
