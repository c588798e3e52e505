"""The reporter on a small phone (DESIGN §8, issue 11 §3-5): the danger question and
"What happened?" on the first screen with JavaScript off, a way out of every
public page with and without JavaScript, and a receipt that can be kept."""

import re

import pytest
from playwright.sync_api import Page, expect

from ombud.events.models import QUICK_EXIT_DEFAULT
from tests.browser.helpers import EVENT, RECEIPT, send_report

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 360, "height": 640}
NEUTRAL_PAGE = "<!doctype html><title>Weather</title><h1>Sunny today</h1>"


def _stub_the_neutral_site(page: Page) -> list:
    """The quick exit leaves for a real site; here it answers from the test instead,
    and records the requests (nothing leaves loopback)."""
    seen = []

    def answer(route):
        seen.append(route.request)
        route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)

    page.route(re.compile(re.escape(QUICK_EXIT_DEFAULT) + ".*"), answer)
    return seen


def _within_first_screen(page: Page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["y"] >= 0, box
    assert box["y"] + box["height"] <= SMALL_PHONE["height"], box


def test_on_a_small_phone_without_javascript_the_first_screen_asks_what_matters(
    new_context, module_demo_server
):
    base = module_demo_server.base_url
    page = new_context(javascript=False, viewport=SMALL_PHONE).new_page()
    page.goto(f"{base}/e/{EVENT}/report/")
    danger = page.get_by_role("group", name="Is anyone in danger right now?")
    what = page.get_by_label("What happened?", exact=True)
    assert page.evaluate("() => window.scrollY") == 0
    _within_first_screen(page, danger)
    _within_first_screen(page, what)
    _within_first_screen(page, page.locator("#quick-exit"))
    # The optional questions are folded below, and open without script.
    who = page.get_by_label("Who did it?", exact=True)
    expect(who).to_be_hidden()
    page.get_by_text("Who did it", exact=True).click()
    expect(who).to_be_visible()

    danger.get_by_label("No").check()
    what.fill("PHONE-3: he kept touching my shoulder at the booth.")
    who.fill("the man at booth 12")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#receipt")).to_have_text(RECEIPT)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your report was received")


def test_answering_yes_brings_the_emergency_numbers_forward_without_javascript(
    new_context, module_demo_server
):
    page = new_context(javascript=False, viewport=SMALL_PHONE).new_page()
    page.goto(f"{module_demo_server.base_url}/e/{EVENT}/report/")
    numbers = page.get_by_role("region", name="If anyone is in danger right now")
    expect(numbers).to_be_hidden()
    page.get_by_role("group", name="Is anyone in danger right now?").get_by_label("Yes").check()
    expect(numbers).to_be_visible()
    expect(page.get_by_role("group", name="Is it still going on?")).to_be_visible()


def test_quick_exit_without_javascript_is_a_plain_link_that_tells_nothing(
    new_context, module_demo_server
):
    page = new_context(javascript=False).new_page()
    seen = _stub_the_neutral_site(page)
    page.goto(f"{module_demo_server.base_url}/e/{EVENT}/report/")
    page.get_by_label("What happened?", exact=True).fill("QUICK-1: half written")
    page.get_by_role("link", name="Leave this page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunny today")
    assert page.url.startswith(QUICK_EXIT_DEFAULT)
    assert len(seen) == 1
    assert "referer" not in seen[0].headers  # the neutral site is not told where from


def test_quick_exit_on_escape_twice_replaces_the_page_in_the_history(
    new_context, module_demo_server
):
    base = module_demo_server.base_url
    page = new_context().new_page()
    _stub_the_neutral_site(page)
    page.goto(f"{base}/e/{EVENT}/")
    page.get_by_role("link", name="Write a report").click()
    expect(page).to_have_url(f"{base}/e/{EVENT}/report/")
    # The form's script unhides the hint once it listens (CSS may still keep it out of
    # sight on a phone): an Esc before that is lost, a race a clean-clone run lost once.
    page.wait_for_function("!document.querySelector('.quick-exit-hint').hidden")
    page.get_by_label("What happened?", exact=True).fill("QUICK-2: half written")
    page.keyboard.press("Escape")
    expect(page).to_have_url(f"{base}/e/{EVENT}/report/")  # once is not enough
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunny today")
    # Back goes to the page before the form: the form is gone from the history.
    page.go_back()
    expect(page).to_have_url(f"{base}/e/{EVENT}/")


def test_quick_exit_link_with_javascript_replaces_the_page_too(new_context, module_demo_server):
    base = module_demo_server.base_url
    page = new_context().new_page()
    _stub_the_neutral_site(page)
    page.goto(f"{base}/e/{EVENT}/")
    page.get_by_role("link", name="Write a report").click()
    # The form's page, loaded with its script: the event page has the same link, and a
    # click before the script runs is a plain link's (a race this test lost once).
    expect(page).to_have_url(f"{base}/e/{EVENT}/report/")
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Leave this page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunny today")
    page.go_back()
    expect(page).to_have_url(f"{base}/e/{EVENT}/")


def test_the_receipt_can_be_saved_as_a_file_and_copied(new_context, module_demo_server):
    base = module_demo_server.base_url
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    receipt = send_report(page, base, "SAVE-1: he followed me to the hotel.")
    with page.expect_download() as saving:
        page.get_by_role("button", name="Save the receipt as a file").click()
    download = saving.value
    assert download.suggested_filename == "receipt.txt"
    with open(download.path(), encoding="utf-8") as saved:
        text = saved.read()
    assert receipt in text
    assert f"{base}/receipt/" in text
    expect(page.locator("#receipt")).to_have_text(receipt)  # still on the receipt page

    page.get_by_role("button", name="Copy the receipt").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == receipt


def test_without_javascript_the_receipt_is_saved_and_no_dead_copy_button_shows(
    new_context, module_demo_server
):
    base = module_demo_server.base_url
    page = new_context(javascript=False).new_page()
    receipt = send_report(page, base, "SAVE-2: he followed me to the hotel.")
    expect(page.get_by_role("button", name="Copy the receipt")).to_have_count(0)
    with page.expect_download() as saving:
        page.get_by_role("button", name="Save the receipt as a file").click()
    with open(saving.value.path(), encoding="utf-8") as saved:
        assert receipt in saved.read()
