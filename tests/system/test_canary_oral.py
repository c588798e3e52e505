"""Canary for issue 12's oral reports and replies in full, against a running demo and
its worker: what a staff member wrote down, the reporter's correction, the team's
reply sent in full, the receipt sent on and the addresses it went to appear nowhere
at rest and in no log - only in the e-mails the reporter asked for."""

import re
import secrets

import pytest

from tests.live import DEMO_PASSWORD, demo_otp
from tests.system.http import Session
from tests.system.test_canary import _database_bytes

pytestmark = pytest.mark.system


def _canary(tag: str) -> str:
    return f"ORALCANARY{secrets.token_hex(6).upper()}{tag}"


def test_an_oral_report_its_receipt_correction_and_replies_in_full_stay_sealed(
    sqlite_demo_server, mail_sink
):
    server = sqlite_demo_server
    what, correction, reply = _canary("what"), _canary("fix"), _canary("reply")
    contact = f"{_canary('contact').lower()}@example.org"
    given = f"{_canary('given').lower()}@example.org"

    # staff1 writes down what the reporter says, and sends the receipt where they ask.
    staff = Session(server.base_url)
    staff.sign_in("staff1", DEMO_PASSWORD, demo_otp())
    page = staff.get("/staff/events/pycon-demo/report/").text
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    taken = staff.post_form(
        "/staff/events/pycon-demo/report/",
        {
            "channel": "in_person",
            "what_happened": what,
            "contact": contact,
            "submission_key": key,
        },
    )
    assert taken.status == 200
    receipt = re.search(r'id="receipt">([0-9A-Z-]+)<', taken.text).group(1)
    send = re.search(r'action="(/staff/events/pycon-demo/report/[0-9a-f-]+/receipt/)"', taken.text)
    sent = staff.post_form(
        send.group(1),
        {"receipt": receipt, "via": "email", "email-to": given},
        form_path="/staff/events/pycon-demo/report/",
    )
    assert sent.status == 200, sent.text[:200]

    # The reporter corrects the account and asks for the team's replies in full.
    reporter = Session(server.base_url)
    fixed = reporter.post_form(
        "/receipt/", {"receipt": receipt, "action": "correct", "correction": correction}
    )
    assert "Your correction was added" in fixed.text
    chosen = reporter.post_form(
        "/receipt/", {"receipt": receipt, "action": "replies", "via": "email"}
    )
    assert "are sent to you in full by e-mail" in chosen.text

    # The chair answers over the API.
    api = Session(server.base_url)
    token = api.request(
        "POST",
        "/api/v1/auth/token",
        json_body={"username": "chair", "password": DEMO_PASSWORD, "otp": demo_otp()},
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    reports = api.get("/api/v1/reports", headers=auth).json()
    (oral,) = [r for r in reports if r["taken_orally"]]
    assert oral["confirmation"] == "corrected"
    case = oral["case_id"]
    assert api.request("POST", f"/api/v1/cases/{case}/declaration", json_body={}, headers=auth)
    answered = api.request(
        "POST", f"/api/v1/cases/{case}/messages", json_body={"text": reply}, headers=auth
    )
    assert answered.status in {200, 201}, answered.text[:200]

    # Delivered: the receipt to where it was asked for, the reply in full to the contact.
    mail_sink.wait_for(lambda ms: any(contact in a for m in ms for a in m.envelope_to))
    mail_sink.wait_for(lambda ms: any(given in a for m in ms for a in m.envelope_to))
    (receipt_mail,) = mail_sink.to(given)
    assert receipt in receipt_mail.body
    (reply_mail,) = mail_sink.to(contact)
    assert reply in reply_mail.body
    assert reply_mail.message["X-Ombud-Loop"] == "pycon-demo"
    assert "report@pycon-demo.example" in reply_mail.message["From"]
    server.stop()

    stored = _database_bytes(server)
    logs = server.log()
    assert b"pycon-demo" in stored
    others = b"".join(m.raw for m in mail_sink.messages() if m not in (receipt_mail, reply_mail))
    for secret in (what, correction, reply, contact, given, receipt, receipt.replace("-", "")):
        assert secret.encode() not in stored, f"{secret[:14]}… in the database"
        assert secret not in logs, f"{secret[:14]}… in the logs"
    for secret in (what, correction, reply, contact, receipt):
        assert secret.encode() not in others, f"{secret[:14]}… in an alert"
