"""axe-core on every page a reporter, a responder and an organiser use, at phone
size. axe needs script, so these pages are checked in JavaScript-enabled contexts
(the pages themselves carry none)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.helpers import EVENT, declare_no_conflict, file_case, send_report, sign_in_at

pytestmark = pytest.mark.browser

AXE = Axe()  # bundles axe.min.js: nothing is fetched


def violations(page: Page) -> list[str]:
    """Every axe violation on the page, as `rule-id (impact): selectors`."""
    results = AXE.run(page).response
    return [
        f"{rule['id']} ({rule['impact']}): {[node['target'] for node in rule['nodes']]}"
        for rule in results["violations"]
    ]


def assert_accessible(page: Page) -> None:
    found = violations(page)
    assert not found, f"axe violations on {page.url}:\n  " + "\n  ".join(found)


def check_pages(page: Page, urls: list[str]) -> None:
    """Visit every page, then fail listing the violations of all of them."""
    found = {}
    for url in urls:
        response = page.goto(url)
        assert response is not None
        assert response.ok, (url, response.status)
        found[page.url] = violations(page)
    assert not any(found.values()), "axe violations:\n" + "\n".join(
        f"{url}\n  " + "\n  ".join(rules) for url, rules in found.items() if rules
    )


@pytest.mark.parametrize(
    "path",
    [
        f"/e/{EVENT}/",
        f"/e/{EVENT}/report/",
        f"/e/{EVENT}/report/?danger=yes",
        "/receipt/",
        "/staff/login/",
    ],
)
def test_public_page_has_no_axe_violations(new_context, module_demo_server, path):
    page = new_context().new_page()
    check_pages(page, [module_demo_server.base_url + path])


def test_receipt_and_follow_up_pages_have_no_axe_violations(new_context, module_demo_server):
    base = module_demo_server.base_url
    page = new_context().new_page()
    receipt = send_report(page, base, "AXE-1: he shouted at me in the hallway.", who="someone")
    assert_accessible(page)

    page.goto(f"{base}/receipt/")
    page.get_by_label("Your receipt").fill(receipt)
    page.get_by_role("button", name="Open my report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your report")
    assert_accessible(page)

    page.get_by_label("Add information or reply").fill("AXE-2: it was at 10am.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status")).to_be_visible()
    assert_accessible(page)


def test_staff_dashboard_and_case_page_have_no_axe_violations(new_context, module_demo_server):
    base = module_demo_server.base_url
    case_id = file_case(
        base, what_happened="AXE-3: a slide with sexual images.", who="speaker", danger_now=True
    )
    page = new_context().new_page()
    sign_in_at(page, base, "chair")
    check_pages(
        page,
        [
            f"{base}/staff/",
            f"{base}/staff/channels/",
            f"{base}/staff/events/{EVENT}/rota/",
            f"{base}/staff/cases/{case_id}/",
        ],
    )
    # The case page itself, once the chair declared no conflict of interest.
    declare_no_conflict(page)
    assert_accessible(page)
    # The case page after an action, with a message shown in the conversation.
    page.get_by_label("Message to the reporter", exact=True).fill("AXE-4: are you safe?")
    page.get_by_role("button", name="Send to the reporter").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert_accessible(page)


def test_organiser_pages_have_no_axe_violations(new_context, module_demo_server):
    base = module_demo_server.base_url
    page = new_context().new_page()
    sign_in_at(page, base, "admin")
    check_pages(
        page,
        [
            f"{base}/staff/manage/",
            f"{base}/staff/manage/events/{EVENT}/",
            f"{base}/staff/manage/events/{EVENT}/staff/",
            f"{base}/staff/manage/events/{EVENT}/briefings/",
        ],
    )


def test_pages_showing_errors_have_no_axe_violations(new_context, module_demo_server):
    base = module_demo_server.base_url
    page = new_context().new_page()

    page.goto(f"{base}/e/{EVENT}/report/")
    # Only spaces: past the browser's own check, refused by the server.
    page.get_by_label("What happened?", exact=True).fill("   ")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".errorlist")).to_contain_text("what happened")
    assert_accessible(page)

    page.goto(f"{base}/receipt/")
    page.get_by_label("Your receipt").fill("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG")
    page.get_by_role("button", name="Open my report").click()
    expect(page.locator(".errorlist")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{base}/staff/login/")
    page.get_by_label("Username").fill("chair")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
