"""Safety first, without JavaScript: the emergency number before anything else, and
every staff member on duty alerted as urgent — except anyone named in the report."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    EVENT,
    URGENT_SUBJECT,
    alerts_queued,
    case_link,
    declare_no_conflict,
    email,
    open_report_part,
    sign_in,
)

pytestmark = pytest.mark.browser

ON_DUTY = {email(u) for u in ("chair", "coordinator", "responder1", "responder2", "staff1", "desk")}


def _recipients(messages) -> set:
    return {address for mail in messages for address in mail.envelope_to}


def _answer_danger_yes(page):
    danger = page.get_by_role("group", name="Is anyone in danger right now?")
    danger.get_by_label("Yes", exact=True).check()
    expect(danger.get_by_label("Yes", exact=True)).to_be_checked()


def test_danger_link_shows_the_emergency_number_first_and_alerts_everyone_on_duty(
    new_context, sqlite_demo_server, mail_sink
):
    base = sqlite_demo_server.base_url
    page = new_context(javascript=False).new_page()
    page.goto(f"{base}/e/{EVENT}/report/?danger=yes")

    emergency = page.locator("main > section.emergency")
    expect(emergency).to_be_visible()
    call = emergency.get_by_role("link", name="911")
    expect(call).to_have_attribute("href", "tel:911")
    expect(emergency).to_contain_text("ask any staff member")
    above, form = emergency.bounding_box(), page.locator("main form").bounding_box()
    assert above is not None
    assert form is not None
    assert above["y"] + above["height"] <= form["y"], (above, form)
    # The number is given once on the page, not repeated inside the form.
    expect(page.get_by_role("link", name="911")).to_have_count(1)

    _answer_danger_yes(page)
    page.get_by_label("What happened?", exact=True).fill("URGENT-4410: he is following her.")
    page.get_by_role("button", name="Send report").click()

    expect(page.locator("#receipt")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("The staff on duty were alerted as urgent.")
    repeated = page.locator("section.emergency")
    expect(repeated.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    expect(repeated).to_contain_text("ask any staff member")

    messages = mail_sink.wait_for(lambda ms: _recipients(ms) >= ON_DUTY)
    link = case_link(base).search(mail_sink.to(email("chair"))[0].body)
    assert link
    assert alerts_queued(base, link.group(1)) == [len(ON_DUTY)]  # nothing else is pending
    assert _recipients(mail_sink.messages()) == ON_DUTY  # not the organiser admin
    for mail in messages:
        assert mail.subject == URGENT_SUBJECT
        assert "URGENT-4410" not in mail.raw.decode(errors="replace")
    assert mail_sink.to(email("staff1"))
    assert mail_sink.to(email("desk"))


def test_urgent_report_naming_a_staff_member_alerts_everyone_on_duty_but_them(
    new_context, sqlite_demo_server, mail_sink
):
    base = sqlite_demo_server.base_url
    page = new_context(javascript=False).new_page()
    page.goto(f"{base}/e/{EVENT}/report/")
    _answer_danger_yes(page)
    page.get_by_label("What happened?", exact=True).fill("URGENT-5120: he blocks the door.")
    open_report_part(page, "Who did it")
    page.get_by_label("Who did it?", exact=True).fill("badge S-005")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status")).to_have_text("The staff on duty were alerted as urgent.")

    expected = ON_DUTY - {email("staff1")}
    messages = mail_sink.wait_for(lambda ms: _recipients(ms) >= expected)
    assert {mail.subject for mail in messages} == {URGENT_SUBJECT}

    # The chair sees why staff1 was left out; the case's timeline counts the alerts
    # it queued, so once those have all arrived none for staff1 can be pending.
    link = case_link(base).search(mail_sink.to(email("chair"))[0].body)
    assert link
    chair = new_context(javascript=False).new_page()
    chair.goto(link.group(0))
    sign_in(chair, "chair")
    # Urgent: the emergency numbers come before the conflict-of-interest question.
    expect(chair.get_by_role("region", name="Safety first")).to_contain_text("911")
    declare_no_conflict(chair)
    expect(chair.get_by_role("region", name="Safety first")).to_contain_text("911")
    expect(chair.get_by_role("region", name="Kept away from this case")).to_contain_text(
        "Jonas Berg — named in the report"
    )
    assert alerts_queued(base, link.group(1)) == [len(expected)]
    assert _recipients(mail_sink.messages()) == expected
