"""An oral report, in a browser without JavaScript: a staff member takes it down in
person, the reporter opens it with the receipt, reads what was written down and
confirms it (or corrects it), and the case page says so."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    EVENT,
    RECEIPT,
    _json,
    _token,
    declare_no_conflict,
    open_section,
    sign_in_at,
)
from tests.browser.test_axe_everywhere import violations

pytestmark = pytest.mark.browser


def _take_in_person(page: Page, base: str, what: str) -> str:
    """staff1 writes down what the reporter says; the receipt shown to give them."""
    sign_in_at(page, base, "staff1")
    page.goto(f"{base}/staff/events/{EVENT}/report/")
    page.get_by_label("In person, to a staff member").check()
    page.get_by_label("What happened?", exact=True).fill(what)
    page.get_by_role("button", name="Send report").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_have_text(RECEIPT)
    expect(page.get_by_role("region", name="How the reporter takes their receipt")).to_be_visible()
    return receipt.inner_text().strip()


def _case_of(base: str, what_receipt_page_said: str) -> str:
    """The case id of the newest in-person report, from the chair's list."""
    reports = _json(
        f"{base}/api/v1/reports", headers={"Authorization": f"Bearer {_token(base, 'chair')}"}
    )
    taken = [r for r in reports if r["channel"] == "in_person" and r["taken_orally"]]
    assert taken, what_receipt_page_said
    return str(max(taken, key=lambda r: r["received_at"])["case_id"])


def _open_as_reporter(page: Page, base: str, receipt: str, what: str) -> None:
    page.goto(f"{base}/receipt/")
    page.get_by_label("Your receipt").fill(receipt)
    page.get_by_role("button", name="Open my report").click()
    account = page.get_by_role("region", name="What was written down")
    expect(account).to_contain_text(
        "A staff member wrote this down from what you told them. Is it right?"
    )
    expect(account).to_contain_text(what)


def _case_page(page: Page, base: str, case_id: str):
    sign_in_at(page, base, "chair")
    page.goto(f"{base}/staff/cases/{case_id}/")
    declare_no_conflict(page)
    return page.locator("main")


def test_the_reporter_confirms_what_a_staff_member_wrote_down(new_context, module_demo_server):
    base = module_demo_server.base_url
    what = "ORAL-1: at the sponsor booth he would not stop touching my shoulder"
    receipt = _take_in_person(new_context(javascript=False).new_page(), base, what)
    case_id = _case_of(base, receipt)

    # With scripts on here, for axe: the written account and its two answers.
    reporter = new_context().new_page()
    _open_as_reporter(reporter, base, receipt, what)
    assert violations(reporter) == []
    reporter.get_by_role("button", name="Yes, this is right").click()
    expect(reporter.get_by_role("status")).to_contain_text("you confirmed it")
    account = reporter.get_by_role("region", name="What was written down")
    expect(account).to_contain_text("You confirmed it on")
    expect(account.get_by_role("button", name="Yes, this is right")).to_have_count(0)

    main = _case_page(new_context(javascript=False).new_page(), base, case_id)
    expect(main.locator("dd.confirmation")).to_contain_text("Confirmed by the reporter")


def test_the_reporter_corrects_what_a_staff_member_wrote_down(new_context, module_demo_server):
    base = module_demo_server.base_url
    what = "ORAL-2: in the hallway after the keynote a man followed me"
    correction = "ORAL-2-FIX: it was after the closing talk, and he followed me twice"
    receipt = _take_in_person(new_context(javascript=False).new_page(), base, what)
    case_id = _case_of(base, receipt)

    reporter = new_context(javascript=False).new_page()
    _open_as_reporter(reporter, base, receipt, what)
    reporter.get_by_label("What is wrong or missing").fill(correction)
    reporter.get_by_role("button", name="Send the correction").click()
    expect(reporter.get_by_role("status")).to_contain_text("Your correction was added")
    expect(reporter.locator("main")).to_contain_text("Your correction of the written account")

    page = new_context(javascript=False).new_page()
    main = _case_page(page, base, case_id)
    expect(main.locator("dd.confirmation")).to_contain_text("Corrected by the reporter")
    open_section(page, "Conversation with the reporter")
    conversation = page.locator("#messages")
    expect(conversation).to_contain_text("Correction of the written account")
    expect(conversation).to_contain_text(correction)
