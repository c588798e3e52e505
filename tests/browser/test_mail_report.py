"""A report by e-mail, answered in a browser: the mail goes to the demo's own
listener, the sender's reply carries the receipt, a responder answers on the case
page, and the reporter reads the answer behind the receipt."""

import re
import smtplib
import socket
import time
from email.message import EmailMessage

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import case_link, declare_no_conflict, open_section, sign_in_at

pytestmark = pytest.mark.browser

SENDER = "mail.reporter@example.org"
WHAT = "MAIL-BROWSER: at the sponsor booth he kept touching my shoulder"
ANSWER = "MAIL-ANSWER: thank you for writing to us; we have spoken to the booth staff."


def _listening(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the demo's mail intake is not listening")


def test_a_report_by_mail_is_answered_and_read_behind_the_receipt(
    new_context, sqlite_demo_server, mail_sink
):
    base = sqlite_demo_server.base_url
    _listening(sqlite_demo_server.intake_port)
    message = EmailMessage()
    message["From"] = f"Mail Reporter <{SENDER}>"
    message["To"] = "report@pycon-demo.example"
    message["Subject"] = "At the sponsor booth"
    message["Message-ID"] = "<browser-test-1@example.org>"
    message.set_content(WHAT)
    with smtplib.SMTP("127.0.0.1", sqlite_demo_server.intake_port, timeout=30) as client:
        client.send_message(message)

    mail_sink.wait_for(lambda ms: any(SENDER in m.envelope_to for m in ms))
    [reply] = mail_sink.to(SENDER)
    receipt = re.search(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){6}\b", reply.body).group(0)
    alerts = mail_sink.wait_for(
        lambda ms: any(case_link(base).search(m.body) for m in ms if SENDER not in m.envelope_to)
    )
    case_id = next(
        case_link(base).search(m.body).group(1)
        for m in alerts
        if SENDER not in m.envelope_to and case_link(base).search(m.body)
    )

    chair = new_context(javascript=False).new_page()
    sign_in_at(chair, base, "chair")
    chair.goto(f"{base}/staff/cases/{case_id}/")
    declare_no_conflict(chair)
    expect(chair.locator("main")).to_contain_text(WHAT)
    open_section(chair, "Conversation with the reporter")
    chair.locator("#messages textarea[name=text]").fill(ANSWER)
    chair.get_by_role("button", name="Send to the reporter").click()
    expect(chair.locator("#messages")).to_contain_text(ANSWER)

    reporter = new_context(javascript=False).new_page()
    reporter.goto(f"{base}/receipt/")
    reporter.get_by_label("Your receipt").fill(receipt)
    reporter.get_by_role("button", name="Open my report").click()
    expect(reporter.locator("main")).to_contain_text(WHAT)
    expect(reporter.locator("main")).to_contain_text(ANSWER)
    # The answer itself never went out by e-mail.
    assert all(ANSWER not in m.raw.decode(errors="replace") for m in mail_sink.messages())
