"""The response, walked in a browser without JavaScript: from the alert to the
closing message, with a witness account, a linked duplicate, a ban the team
approves, the reporter reading the outcome and the registration desk's check."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import EVENT, declare_no_conflict, file_report, open_section, sign_in_at

pytestmark = pytest.mark.browser

WHAT = "RESP-1: after the party he pulled her lanyard and would not let go"
DUPLICATE = "RESP-1b: I saw a man yank a woman's lanyard by the bar"
TO_REPORTER = "RESP-OUTCOME: he is banned from our future events. Thank you for telling us."
CLOSING = "RESP-CLOSING: we have closed the case. Write to us any time with your receipt."


def _open_case(page: Page, base: str, case_id: str) -> None:
    page.goto(f"{base}/staff/cases/{case_id}/")
    declare_no_conflict(page)


def _done(page: Page, text: str) -> None:
    expect(page.get_by_role("status")).to_contain_text(text)


def _reporter_view(page: Page, base: str, receipt: str) -> None:
    page.goto(f"{base}/receipt/")
    page.get_by_label("Your receipt").fill(receipt)
    page.get_by_role("button", name="Open my report").click()


def test_a_case_from_the_alert_to_the_closing_message(new_context, module_demo_server):
    base = module_demo_server.base_url
    receipt, case_id = file_report(base, what_happened=WHAT, who="Max Keller", law_enforcement="no")
    _dup_receipt, duplicate_id = file_report(
        base, what_happened=DUPLICATE, reporter_relation="witness"
    )
    case_url = f"{base}/staff/cases/{case_id}/"

    # The chair acknowledges, gives the case to a responder, records a witness's
    # account and links the duplicate report.
    chair = new_context(javascript=False).new_page()
    sign_in_at(chair, base, "chair")
    _open_case(chair, base, duplicate_id)
    duplicate_code = chair.locator("h1 .codename").inner_text().strip()
    _open_case(chair, base, case_id)
    chair.get_by_role("button", name="Acknowledge").click()
    _done(chair, "Status changed.")
    open_section(chair, "Who is on it")
    chair.get_by_label("Give the case to").select_option(label="Amara Okafor")
    chair.get_by_role("button", name="Assign", exact=True).click()
    _done(chair, "Owner changed.")
    expect(chair.get_by_role("region", name="Who is on it")).to_contain_text("Amara Okafor")
    open_section(chair, "Categories")
    chair.get_by_label("Unwanted physical contact").check()
    chair.get_by_role("button", name="Save categories").click()
    _done(chair, "Categories saved.")
    expect(chair.get_by_label("Unwanted physical contact")).to_be_checked()
    open_section(chair, "Accounts")
    chair.get_by_label("Whose account").select_option(label="A witness")
    chair.get_by_label("Their name or how to tell them apart (optional)").fill("Bar staff")
    chair.get_by_label("What they said").fill("RESP-WITNESS: he pulled the lanyard twice.")
    chair.get_by_role("button", name="Record account").click()
    _done(chair, "Account recorded.")
    expect(chair.get_by_role("region", name="Accounts")).to_contain_text("RESP-WITNESS")
    open_section(chair, "Linked cases")
    chair.get_by_label("Code name of the other case").fill(duplicate_code)
    chair.get_by_role("button", name="Link", exact=True).click()
    _done(chair, "Cases linked.")
    linked = chair.get_by_role("region", name="Linked cases")
    expect(linked).to_contain_text(duplicate_code)
    expect(linked).to_contain_text(DUPLICATE)

    # The owner proposes a permanent ban, shown to the reporter for comment.
    owner = new_context(javascript=False).new_page()
    sign_in_at(owner, base, "responder1")
    _open_case(owner, base, case_id)
    open_section(owner, "Decision")
    owner.get_by_text("Propose a decision").click()
    owner.get_by_label("Consequence").select_option(label="Ban from future events")
    owner.get_by_label("The ban is permanent").check()
    owner.get_by_label("Reasoning").fill("RESP-REASON: physical, repeated, witnessed.")
    owner.get_by_label("What is told to the respondent").fill("You may not attend again.")
    owner.get_by_label("What is told to the reporter").fill(TO_REPORTER)
    owner.get_by_label("Respondent's name").fill("Max Keller")
    owner.get_by_label("Respondent's badge number").fill("B-4242")
    owner.get_by_label("Show the proposed outcome to the reporter now").check()
    owner.get_by_role("button", name="Propose", exact=True).click()
    expect(owner).to_have_url(case_url)

    reporter = new_context(javascript=False).new_page()
    _reporter_view(reporter, base, receipt)
    expect(reporter.get_by_role("region", name="Proposed outcome")).to_contain_text(TO_REPORTER)

    # Two approvals, a lead among them: the chair approves, the coordinator (a
    # lead) approves and makes it final.
    chair.goto(case_url)
    chair.get_by_role("button", name="Approve").click()
    expect(chair).to_have_url(case_url)
    coordinator = new_context(javascript=False).new_page()
    sign_in_at(coordinator, base, "coordinator")
    _open_case(coordinator, base, case_id)
    coordinator.get_by_role("button", name="Approve").click()
    coordinator.get_by_role("button", name="Make final").click()
    expect(coordinator.locator("h1")).to_contain_text("Decided")

    # The reporter reads the outcome through their receipt.
    _reporter_view(reporter, base, receipt)
    expect(reporter.get_by_role("region", name="Outcome")).to_contain_text(TO_REPORTER)

    # The registration desk checks the badge: "Ask an incident lead", nothing more.
    desk = new_context(javascript=False).new_page()
    sign_in_at(desk, base, "desk")
    desk.goto(f"{base}/staff/events/{EVENT}/desk-check/")
    desk.get_by_label("Name or badge number").fill("b 4242")
    desk.get_by_role("button", name="Check").click()
    expect(desk.get_by_role("status")).to_have_text("Ask an incident lead")
    expect(desk.locator("main")).not_to_contain_text("Max Keller")
    desk.get_by_label("Name or badge number").fill("Somebody Else")
    desk.get_by_role("button", name="Check").click()
    expect(desk.get_by_role("status")).to_have_text("No match")

    # The reporter followed the case with the receipt: closing takes a message.
    chair.goto(case_url)
    chair.get_by_text("Close the case").click()
    chair.get_by_label("Closing message to the reporter").fill(CLOSING)
    chair.get_by_role("button", name="Send and close").click()
    _done(chair, "Status changed.")
    expect(chair.locator("h1")).to_contain_text("Closed")
    _reporter_view(reporter, base, receipt)
    expect(reporter.locator("main")).to_contain_text(CLOSING)
