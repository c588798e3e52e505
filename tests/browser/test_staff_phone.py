"""Staff work on a phone (360 by 640 px): from the alert's link to a message for the
reporter, never scrolling sideways; a refused ban proposal keeps everything typed;
the venue's printables fit one page of A4 and of Letter."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    EVENT,
    case_link,
    declare_no_conflict,
    email,
    file_case,
    open_section,
    sign_in,
    sign_in_at,
)

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 360, "height": 640}
# A pasted link with no place to break, and Arabic inside English: neither may push
# the page sideways.
WHAT = (
    "PHONE-6120: he sent me https://example.org/this-is-a-very-long-link-that-someone-"
    "pasted-from-a-chat-without-any-spaces-at-all and said قال لي أن أغادر in the hallway."
)
NOTE = "PHONE-NOTE: spoke to her at the registration desk; she is with a friend."
REPLY = "PHONE-REPLY: thank you for telling us. Are you safe now? We are nearby."


def _no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SMALL_PHONE["width"], f"{page.url} is {width} px wide"


def _within_the_screen_width(page: Page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= SMALL_PHONE["width"], box


def _done(page: Page, text: str) -> None:
    expect(page.get_by_role("status")).to_contain_text(text)


def test_from_the_alert_to_a_message_on_a_small_phone(
    new_context, module_demo_server, module_mail_sink
):
    base = module_demo_server.base_url
    case_id = file_case(base, what_happened=WHAT, who="Max Keller, badge 4242")
    alerts = module_mail_sink.wait_for(
        lambda messages: any(
            email("chair") in mail.envelope_to and case_id in mail.body for mail in messages
        )
    )
    [alert] = [m for m in alerts if email("chair") in m.envelope_to and case_id in m.body]
    case_url = case_link(base).search(alert.body).group(0)

    page = new_context(viewport=SMALL_PHONE).new_page()
    page.goto(case_url)
    expect(page).to_have_url(re.compile(re.escape(f"{base}/staff/login/?next=")))
    _no_sideways_scrolling(page)
    sign_in(page, "chair")
    declare_no_conflict(page)
    expect(page).to_have_url(case_url)
    _no_sideways_scrolling(page)

    # The status and its next action come before the report, the report before the tools.
    acknowledge = page.get_by_role("button", name="Acknowledge", exact=True)
    report = page.get_by_role("heading", name="The report", exact=True)
    notes = page.get_by_role("heading", name="Internal notes", exact=True)
    expect(acknowledge).to_be_visible()
    _within_the_screen_width(page, acknowledge)
    assert acknowledge.bounding_box()["y"] < report.bounding_box()["y"]
    assert report.bounding_box()["y"] < notes.bounding_box()["y"]
    expect(page.locator("main")).to_contain_text("قال لي أن أغادر")
    expect(page.locator("dd", has_text="PHONE-6120")).to_have_attribute("dir", "auto")

    acknowledge.click()
    _done(page, "Status changed.")
    expect(page.locator("h1")).to_contain_text("Acknowledged")
    _no_sideways_scrolling(page)

    open_section(page, "Internal notes")
    page.get_by_label("Internal note", exact=True).fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    _done(page, "Note added.")
    # The section just used stays open, the new note in view.
    expect(page.get_by_role("region", name="Internal notes")).to_contain_text(NOTE)
    expect(page.get_by_text(NOTE)).to_be_visible()
    _no_sideways_scrolling(page)

    # Nobody has written to the reporter yet: the conversation is open, ready.
    message = page.get_by_label("Message to the reporter", exact=True)
    expect(message).to_be_visible()
    message.fill(REPLY)
    send = page.get_by_role("button", name="Send to the reporter")
    _within_the_screen_width(page, send)
    send.click()
    _done(page, "Message sent to the reporter.")
    expect(page.get_by_text(REPLY)).to_be_visible()
    _no_sideways_scrolling(page)


def test_the_dashboard_lists_cases_with_their_acknowledge_button_on_a_small_phone(
    new_context, module_demo_server
):
    base = module_demo_server.base_url
    file_case(base, what_happened="PHONE-DASH: a new one", danger_now=True)
    page = new_context(viewport=SMALL_PHONE).new_page()
    sign_in_at(page, base, "coordinator")
    _no_sideways_scrolling(page)
    cases = page.get_by_role("list", name="Cases")
    expect(cases).to_be_visible()
    first = cases.get_by_role("listitem").first
    expect(first).to_contain_text("urgent")
    button = first.get_by_role("button", name=re.compile(r"^Acknowledge "))
    expect(button).to_be_visible()
    _within_the_screen_width(page, button)


LEAD_PAGES = (
    "/staff/",
    "/staff/cases/{case_id}/",
    "/staff/cases/{case_id}/summary/",
    "/staff/cases/{case_id}/decision/propose/",
    f"/staff/events/{EVENT}/rota/",
    f"/staff/events/{EVENT}/handover/",
    f"/staff/events/{EVENT}/overview/",
    f"/staff/events/{EVENT}/desk-check/",
    f"/staff/events/{EVENT}/report/",
    f"/staff/events/{EVENT}/acknowledge/",
    f"/staff/events/{EVENT}/pocket-card/",
    f"/staff/manage/events/{EVENT}/poster/",
    f"/staff/manage/events/{EVENT}/categories/",
    "/staff/channels/",
    "/staff/security/",
    "/staff/security/password/",
    "/staff/security/recovery-codes/",
)


def test_every_staff_page_fits_a_small_phone(new_context, module_demo_server):
    base = module_demo_server.base_url
    case_id = file_case(base, what_happened=WHAT)
    context = new_context(viewport=SMALL_PHONE)
    lead = context.new_page()
    sign_in_at(lead, base, "chair")
    lead.goto(f"{base}/staff/cases/{case_id}/")
    declare_no_conflict(lead)
    # In English, and mirrored in Arabic (the language chosen on a page, kept in a cookie).
    for language, direction in (("en", "ltr"), ("ar", "rtl")):
        context.add_cookies([{"name": "ombud_language", "value": language, "url": base}])
        for path in LEAD_PAGES:
            lead.goto(base + path.format(case_id=case_id))
            expect(lead.locator("html")).to_have_attribute("dir", direction)
            if path == "/staff/cases/{case_id}/":
                # Every section unfolded, its forms in view.
                lead.evaluate(
                    "document.querySelectorAll('main details').forEach(d => { d.open = true; })"
                )
                expect(lead.locator("#account_text")).to_be_visible()
            _no_sideways_scrolling(lead)

    admin = new_context(viewport=SMALL_PHONE).new_page()
    sign_in_at(admin, base, "admin")
    for path in (
        "/staff/manage/",
        f"/staff/manage/events/{EVENT}/",
        f"/staff/manage/events/{EVENT}/staff/",
        f"/staff/manage/events/{EVENT}/briefings/",
        f"/staff/manage/events/{EVENT}/decision-rules/",
    ):
        admin.goto(base + path)
        _no_sideways_scrolling(admin)
    admin.goto(f"{base}/staff/manage/events/{EVENT}/staff/")
    admin.get_by_role("link", name="Amara Okafor").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Amara Okafor")
    _no_sideways_scrolling(admin)


def test_a_refused_ban_proposal_keeps_everything_and_offers_the_recorded_person(
    new_context, module_demo_server
):
    base = module_demo_server.base_url
    case_id = file_case(base, what_happened="PHONE-BAN: he grabbed her lanyard twice")
    page = new_context(viewport=SMALL_PHONE, javascript=False).new_page()
    sign_in_at(page, base, "responder1")
    page.goto(f"{base}/staff/cases/{case_id}/")
    declare_no_conflict(page)
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    _done(page, "Status changed.")
    open_section(page, "Person reported")
    page.get_by_label("Name", exact=True).fill("Max Keller")
    page.get_by_label("Badge number", exact=True).fill("B-4242")
    page.get_by_role("button", name="Record", exact=True).click()
    _done(page, "Person reported recorded.")

    # The panel's form offers the person recorded; someone clears it and sends.
    open_section(page, "Decision")
    page.get_by_text("Propose a decision").click()
    expect(page.get_by_label("Respondent's name")).to_have_value("Max Keller")
    page.get_by_label("Consequence").select_option(label="Ban from future events")
    page.get_by_label("The ban is permanent").check()
    page.get_by_label("Reasoning").fill("PHONE-REASON: physical, repeated, witnessed.")
    page.get_by_label("What is told to the respondent").fill("PHONE-RESP: do not come back.")
    page.get_by_label("What is told to the reporter").fill("PHONE-REP: he is banned.")
    page.get_by_label("Respondent's name").fill("")
    page.get_by_label("Respondent's badge number").fill("")
    page.get_by_role("button", name="Propose", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Propose a decision")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("filled in now")
    _no_sideways_scrolling(page)
    expect(page.get_by_label("Consequence")).to_have_value("ban")
    expect(page.get_by_label("The ban is permanent")).to_be_checked()
    expect(page.get_by_label("Reasoning")).to_have_value(
        "PHONE-REASON: physical, repeated, witnessed."
    )
    expect(page.get_by_label("What is told to the respondent")).to_have_value(
        "PHONE-RESP: do not come back."
    )
    expect(page.get_by_label("What is told to the reporter")).to_have_value(
        "PHONE-REP: he is banned."
    )
    expect(page.get_by_label("Respondent's name")).to_have_value("Max Keller")
    expect(page.get_by_label("Respondent's badge number")).to_have_value("B-4242")
    # The summary's link leads to the field.
    expect(summary.get_by_role("link").first).to_have_attribute("href", "#id_respondent_name")
    page.get_by_role("button", name="Propose", exact=True).click()
    expect(page).to_have_url(f"{base}/staff/cases/{case_id}/")
    _done(page, "Decision proposed.")
    expect(page.get_by_role("region", name="Decision")).to_contain_text("Max Keller")


def test_the_printables_fit_one_page_of_a4_and_of_letter(new_context, module_demo_server):
    base = module_demo_server.base_url
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_at(page, base, "chair")
    for path in (f"/staff/manage/events/{EVENT}/poster/", f"/staff/events/{EVENT}/pocket-card/"):
        page.goto(base + path)
        expect(page.locator(".qr svg")).to_be_visible()
        for paper in ("A4", "Letter"):
            pdf = page.pdf(format=paper, print_background=True)
            assert re.findall(rb"/Count (\d+)", pdf) == [b"1"], (path, paper)
