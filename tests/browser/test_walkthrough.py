"""The procedure end to end in a real browser: a reporter without JavaScript, the
chair alerted by e-mail, and the staff member named in the report kept away."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ADDED_SUBJECT,
    EVENT,
    NEW_REPORT_SUBJECT,
    RECEIPT,
    alerts_queued,
    case_link,
    declare_no_conflict,
    email,
    open_report_part,
    sign_in,
    sign_in_at,
)

pytestmark = pytest.mark.browser

WHAT_HAPPENED = "WALK-7731: after the keynote he kept touching my shoulder after I said stop."
REPLY = "WALK-REPLY-5502: thank you for telling us. Are you safe now?"
ADDED = "WALK-ADDED-9140: yes, I am with friends. It happened near room B."
ALERTED = {email(u) for u in ("chair", "coordinator", "responder1", "responder2")}


def _recipients(messages) -> set:
    return {address for mail in messages for address in mail.envelope_to}


def test_report_alert_reply_and_follow_up_without_javascript(
    new_context, sqlite_demo_server, mail_sink
):
    base = sqlite_demo_server.base_url

    # The reporter finds the form from the event page and sends a report naming staff1.
    reporter = new_context(javascript=False).new_page()
    reporter.goto(f"{base}/e/{EVENT}/")
    reporter.get_by_role("link", name="Write a report").click()
    expect(reporter).to_have_url(f"{base}/e/{EVENT}/report/")
    reporter.get_by_label("What happened?", exact=True).fill(WHAT_HAPPENED)
    open_report_part(reporter, "Who did it")
    reporter.get_by_label("Who did it?", exact=True).fill("Jonas Berg")
    reporter.get_by_role("button", name="Send report").click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Your report was received")
    expect(reporter.locator("#receipt")).to_have_text(RECEIPT)
    receipt = reporter.locator("#receipt").inner_text().strip()
    # Not urgent: no emergency box on the receipt page.
    expect(reporter.locator("section.emergency")).to_have_count(0)

    # The chair is alerted with a link and nothing of the report.
    mail_sink.wait_for(lambda messages: _recipients(messages) >= ALERTED)
    [alert] = mail_sink.to(email("chair"))
    assert alert.message["Subject"] == NEW_REPORT_SUBJECT
    link = case_link(base).search(alert.body)
    assert link, alert.body
    case_url, case_id = link.group(0), link.group(1)
    for secret in (WHAT_HAPPENED, "WALK-7731", "Jonas Berg", receipt):
        assert secret not in alert.raw.decode(errors="replace")
        assert secret not in alert.body

    # The chair follows the link, signs in, lands on the case and reads the report.
    chair = new_context(javascript=False).new_page()
    chair.goto(case_url)
    expect(chair).to_have_url(re.compile(re.escape(f"{base}/staff/login/?next=")))
    sign_in(chair, "chair")
    expect(chair).to_have_url(case_url)
    declare_no_conflict(chair)
    expect(chair).to_have_url(case_url)
    expect(chair.locator("main")).to_contain_text(WHAT_HAPPENED)
    code_name = chair.locator("h1 .codename").inner_text().strip()
    assert code_name
    recusals = chair.get_by_role("region", name="Kept away from this case")
    expect(recusals).to_contain_text("Jonas Berg — named in the report")
    # Exactly four alerts were queued and all four arrived: none for staff1 is pending.
    assert alerts_queued(base, case_id) == [len(ALERTED)]
    assert _recipients(mail_sink.messages()) == ALERTED

    # ... and writes to the reporter.
    chair.get_by_label("Message to the reporter", exact=True).fill(REPLY)
    chair.get_by_role("button", name="Send to the reporter").click()
    expect(chair).to_have_url(case_url)
    expect(chair.get_by_role("status")).to_contain_text("Message sent to the reporter.")
    conversation = chair.get_by_role("region", name="Conversation with the reporter")
    expect(conversation).to_contain_text(REPLY)

    # The chair's dashboard lists the case: the check below on staff1's can fail.
    chair.goto(f"{base}/staff/")
    expect(chair.locator(f'a[href="/staff/cases/{case_id}/"]')).to_have_text(code_name)

    # staff1, named in the report, was never alerted, cannot open it, does not see it.
    staff1 = new_context(javascript=False).new_page()
    sign_in_at(staff1, base, "staff1")
    response = staff1.goto(case_url)
    assert response is not None
    assert response.status == 404
    expect(staff1.locator("body")).not_to_contain_text("WALK-7731")
    staff1.goto(f"{base}/staff/")
    expect(staff1.get_by_role("heading", name="Staff dashboard")).to_be_visible()
    expect(staff1.locator("main")).not_to_contain_text(code_name)
    expect(staff1.locator(f'a[href*="{case_id}"]')).to_have_count(0)

    # The reporter follows up with the receipt, reads the reply and adds information.
    reporter.goto(f"{base}/receipt/")
    reporter.get_by_label("Your receipt").fill(receipt)
    reporter.get_by_role("button", name="Open my report").click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Your report")
    expect(reporter.locator("main")).to_contain_text(REPLY)
    assert receipt not in reporter.url
    reporter.get_by_label("Add information or reply").fill(ADDED)
    reporter.get_by_role("button", name="Send", exact=True).click()
    expect(reporter.get_by_role("status")).to_have_text("Added. The response team has been told.")
    expect(reporter.locator("main")).to_contain_text(ADDED)

    # The leads are told, again without content, and the chair sees the addition.
    mail_sink.wait_for(
        lambda messages: any(
            mail.message["Subject"] == ADDED_SUBJECT and email("chair") in mail.envelope_to
            for mail in messages
        )
    )
    for mail in mail_sink.messages():
        assert "WALK-" not in mail.raw.decode(errors="replace")
    chair.goto(case_url)
    expect(chair.get_by_role("region", name="Conversation with the reporter")).to_contain_text(
        ADDED
    )

    # Across the whole walk staff1 received no e-mail at all.
    assert mail_sink.to(email("staff1")) == []
