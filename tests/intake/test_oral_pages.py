"""The pages around an oral report: the staff member gives the receipt (paper, e-mail,
text), the reporter confirms or corrects what was written down, the case page shows
it; and the reporter's explicit choice of replies in full."""

import re

import pytest

from ombud.cases.models import Channel, Report
from ombud.intake.models import IntakeChannel
from ombud.notify import envelope
from ombud.notify.models import OutboxMessage
from ombud.vault import receipts
from tests import factories

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(r'<p class="receipt" id="receipt">([0-9A-Z-]+)</p>')
CANARY = "ORALPAGECANARY-3c"


def _take(client, channel="in_person"):
    page = client.get("/staff/events/conf/report/").content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    response = client.post(
        "/staff/events/conf/report/",
        {"what_happened": f"{CANARY} he shouted at me", "submission_key": key, "channel": channel},
    )
    assert response.status_code == 200
    return response, RECEIPT.search(response.content.decode()).group(1)


def _texts(cast):
    return IntakeChannel.objects.create(
        event=cast.event, kind="sms", provider="gateway", address="+4930555000"
    )


def test_the_staff_receipt_page_offers_paper_and_email_and_text_only_with_a_number(signed_in, cast):
    client = signed_in(cast.staff)
    response, _receipt = _take(client)
    html = response.content.decode()
    assert "Print command" in html
    assert 'name="email-to"' in html
    assert 'name="sms-to"' not in html
    assert "confirm it, or correct it" in html
    _texts(cast)
    html = _take(client)[0].content.decode()
    assert 'name="sms-to"' in html


def test_the_staff_member_sends_the_receipt_by_email_and_a_mistake_keeps_what_was_typed(
    signed_in, cast, caplog
):
    client = signed_in(cast.staff)
    _response, receipt = _take(client)
    report = Report.objects.get()
    url = f"/staff/events/conf/report/{report.pk}/receipt/"
    OutboxMessage.objects.all().delete()
    bad = client.post(url, {"receipt": receipt, "via": "email", "email-to": "mo at example"})
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "The receipt was not sent" in html
    assert 'value="mo at example"' in html
    assert RECEIPT.search(html).group(1) == receipt  # still there to give
    assert not OutboxMessage.objects.exists()
    good = client.post(url, {"receipt": receipt, "via": "email", "email-to": "mo@example.org"})
    assert good.status_code == 200
    assert "on its way by e-mail" in good.content.decode()
    row = OutboxMessage.objects.get()
    assert envelope.opened(row)["to"] == "mo@example.org"
    assert "mo@example.org" not in str(row.context) + row.address
    # Neither the address nor the receipt nor the report reaches a log.
    for needle in ("mo@example.org", "mo at example", receipt, CANARY):
        assert needle not in caplog.text


def test_only_the_staff_member_who_took_it_may_send_it_and_only_its_own_receipt(
    signed_in, cast, client
):
    staff_client = signed_in(cast.staff)
    _response, receipt = _take(staff_client)
    report = Report.objects.get()
    url = f"/staff/events/conf/report/{report.pk}/receipt/"
    other = factories.file_report(cast.event).receipt
    wrong = {"receipt": receipts.display(other), "via": "email", "email-to": "a@b.org"}
    assert staff_client.post(url, wrong).status_code == 404
    no_text = {"receipt": receipt, "via": "sms", "sms-to": "+491512345678"}
    assert staff_client.post(url, no_text).status_code == 404  # the event has no number
    client.logout()
    lead = signed_in(cast.lead)
    right = {"receipt": receipt, "via": "email", "email-to": "a@b.org"}
    assert lead.post(url, right).status_code == 404
    assert not OutboxMessage.objects.filter(kind="to_reporter").exists()


def test_the_reporter_reads_the_written_account_and_confirms_it_and_the_case_shows_it(
    signed_in, cast, client
):
    submission = factories.file_report(
        cast.event, channel=Channel.IN_PERSON, taken_by=cast.staff, what_happened=CANARY
    )
    page = client.post("/receipt/", {"receipt": submission.receipt}).content.decode()
    assert "A staff member wrote this down from what you told them. Is it right?" in page
    assert CANARY in page
    confirmed = client.post("/receipt/", {"receipt": submission.receipt, "action": "confirm"})
    html = confirmed.content.decode()
    assert confirmed.status_code == 200
    assert "You confirmed it on" in html
    assert 'value="confirm"' not in html
    again = client.post("/receipt/", {"receipt": submission.receipt, "action": "confirm"})
    assert again.status_code == 400
    assert "nothing to confirm" in again.content.decode()
    factories.declared(submission.report.case, cast.lead)
    case_page = signed_in(cast.lead).get(f"/staff/cases/{submission.report.case_id}/")
    assert "Confirmed by the reporter" in case_page.content.decode()


def test_the_reporter_corrects_it_an_empty_correction_comes_back_and_the_case_shows_it(
    signed_in, cast, client
):
    submission = factories.file_report(
        cast.event, channel=Channel.PHONE, taken_by=cast.staff, what_happened=CANARY
    )
    empty = client.post(
        "/receipt/", {"receipt": submission.receipt, "action": "correct", "correction": "  "}
    )
    assert empty.status_code == 400
    assert "error-summary" in empty.content.decode()
    sent = client.post(
        "/receipt/",
        {"receipt": submission.receipt, "action": "correct", "correction": "It was 11 pm."},
    )
    html = sent.content.decode()
    assert sent.status_code == 200
    assert "Your correction was added" in html
    assert "Your correction of the written account" in html
    factories.declared(submission.report.case, cast.lead)
    case_page = signed_in(cast.lead).get(f"/staff/cases/{submission.report.case_id}/")
    html = case_page.content.decode()
    assert "Corrected by the reporter" in html
    assert "Correction of the written account" in html
    assert "It was 11 pm." in html


def test_a_report_the_reporter_wrote_asks_for_no_confirmation(client, cast):
    submission = factories.file_report(cast.event)
    page = client.post("/receipt/", {"receipt": submission.receipt}).content.decode()
    assert "Is it right?" not in page
    assert 'value="confirm"' not in page


def test_the_reporter_chooses_replies_in_full_by_email_with_the_risk_said_and_stops(client, cast):
    submission = factories.file_report(cast.event, contact="mo@example.org")
    page = client.post("/receipt/", {"receipt": submission.receipt}).content.decode()
    assert "Send the team's replies to me in full by e-mail" in page
    assert "in the clear" in page
    assert "by text message" not in page.split("replies-heading")[1].split("</section>")[0]
    chosen = client.post(
        "/receipt/", {"receipt": submission.receipt, "action": "replies", "via": "email"}
    )
    assert chosen.status_code == 200
    assert "are sent to you in full by e-mail" in chosen.content.decode()
    assert Report.objects.get().replies_to == "email"
    refused = client.post(
        "/receipt/", {"receipt": submission.receipt, "action": "replies", "via": "sms"}
    )
    assert refused.status_code == 400
    assert Report.objects.get().replies_to == "email"
    client.post("/receipt/", {"receipt": submission.receipt, "action": "replies", "via": ""})
    assert Report.objects.get().replies_to == ""


def test_a_report_without_an_address_or_number_is_offered_no_replies_in_full(client, cast):
    submission = factories.file_report(cast.event)
    page = client.post("/receipt/", {"receipt": submission.receipt}).content.decode()
    assert "replies-heading" not in page
