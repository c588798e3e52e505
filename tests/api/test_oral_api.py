"""Issue 12 on the API: a staff member takes a report by phone and sends the receipt
on; the reporter reads the written account and confirms or corrects it, and chooses
replies in full; the team's report output says so."""

import json

import pytest

from ombud.cases.models import Report
from ombud.intake.models import IntakeChannel
from ombud.notify import envelope
from ombud.notify.models import OutboxMessage
from tests import factories
from tests.api.test_api import _post, _token

pytestmark = pytest.mark.django_db


def _taken_by_phone(client, token) -> dict:
    response = _post(
        client,
        "/api/v1/events/conf/reports",
        {"what_happened": "APIORALCANARY he shouted", "channel": "phone"},
        **token,
    )
    assert response.status_code == 201
    return response.json()


def test_staff_take_a_report_by_phone_and_send_the_receipt_by_text(client, cast):
    IntakeChannel.objects.create(
        event=cast.event, kind="sms", provider="gateway", address="+4930555000"
    )
    token = _token(client, "staffer")
    filed = _taken_by_phone(client, token)
    url = f"/api/v1/reports/{filed['report_id']}/receipt"
    OutboxMessage.objects.all().delete()
    bad = _post(client, url, {"receipt": filed["receipt"], "via": "sms", "to": "call me"}, **token)
    assert bad.status_code == 422
    assert "country code" in bad.json()["detail"]
    extra = _post(
        client, url, {"receipt": filed["receipt"], "via": "sms", "to": "1", "x": 1}, **token
    )
    assert extra.status_code == 422
    sent = _post(
        client, url, {"receipt": filed["receipt"], "via": "sms", "to": "+49 151 2345678"}, **token
    )
    assert sent.status_code == 202
    row = OutboxMessage.objects.get()
    assert envelope.opened(row)["to"] == "+491512345678"
    # Someone else's token, or another receipt: not found.
    lead = _token(client, "lead")
    body = {"receipt": filed["receipt"], "via": "email", "to": "a@b.org"}
    assert _post(client, url, body, **lead).status_code == 404
    other = factories.file_report(cast.event).receipt
    assert _post(client, url, {**body, "receipt": other}, **token).status_code == 404
    assert _post(client, url, body).status_code == 401


def test_the_reporter_confirms_over_the_api_and_the_team_sees_it(client, cast):
    filed = _taken_by_phone(client, _token(client, "staffer"))
    receipt = {"HTTP_X_RECEIPT": filed["receipt"]}
    view = client.get("/api/v1/receipt", **receipt).json()
    assert view["taken_orally"] is True
    assert view["confirmation"] == ""
    assert view["replies_offered"] == []
    assert client.post("/api/v1/receipt/confirmation", **receipt).status_code == 201
    again = client.post("/api/v1/receipt/confirmation", **receipt)
    assert again.status_code == 409
    assert client.get("/api/v1/receipt", **receipt).json()["confirmation"] == "confirmed"
    report = Report.objects.get()
    factories.declared(report.case, cast.lead)
    lead = _token(client, "lead")
    out = client.get(f"/api/v1/reports/{report.pk}", **lead).json()
    assert (out["taken_orally"], out["confirmation"], out["channel"]) == (
        True,
        "confirmed",
        "phone",
    )
    listed = client.get("/api/v1/reports", **lead).json()
    assert listed[0]["confirmation"] == "confirmed"


def test_the_reporter_corrects_over_the_api(client, cast):
    filed = _taken_by_phone(client, _token(client, "staffer"))
    receipt = {"HTTP_X_RECEIPT": filed["receipt"]}
    url = "/api/v1/receipt/correction"
    assert _post(client, url, {"text": "  "}, **receipt).status_code == 422
    assert _post(client, url, {"text": "It was 11 pm."}, **receipt).status_code == 201
    view = client.get("/api/v1/receipt", **receipt).json()
    assert view["confirmation"] == "corrected"
    assert view["messages"] == [
        {
            "at": view["messages"][0]["at"],
            "from_reporter": True,
            "text": "It was 11 pm.",
            "correction": True,
        }
    ]
    report = Report.objects.get()
    factories.declared(report.case, cast.lead)
    case = client.get(f"/api/v1/cases/{report.case_id}", **_token(client, "lead")).json()
    assert [(m["text"], m["correction"]) for m in case["messages"]] == [("It was 11 pm.", True)]


def test_a_web_reporter_has_nothing_to_confirm_and_chooses_replies(client, cast):
    submission = factories.file_report(cast.event, contact="mo@example.org")
    receipt = {"HTTP_X_RECEIPT": submission.receipt}
    assert client.post("/api/v1/receipt/confirmation", **receipt).status_code == 409
    assert _post(client, "/api/v1/receipt/correction", {"text": "x"}, **receipt).status_code == 409
    view = client.get("/api/v1/receipt", **receipt).json()
    assert (view["taken_orally"], view["replies_offered"]) == (False, ["email"])
    assert _post(client, "/api/v1/receipt/replies", {"via": "sms"}, **receipt).status_code == 422
    assert _post(client, "/api/v1/receipt/replies", {"via": "fax"}, **receipt).status_code == 422
    assert _post(client, "/api/v1/receipt/replies", {"via": "email"}, **receipt).status_code == 200
    assert client.get("/api/v1/receipt", **receipt).json()["replies_to"] == "email"
    assert (
        client.post(
            "/api/v1/receipt/replies", json.dumps({"via": ""}), content_type="application/json"
        ).status_code
        == 401
    )


def test_the_new_operations_are_in_the_schema(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/receipt/confirmation",
        "/api/v1/receipt/correction",
        "/api/v1/receipt/replies",
        "/api/v1/reports/{report_id}/receipt",
    ):
        assert "post" in paths[path], path


def test_a_message_written_over_the_api_goes_in_full_only_when_asked(client, cast):
    submission = factories.file_report(cast.event, contact="mo@example.org")
    report = submission.report
    factories.declared(report.case, cast.lead)
    lead = _token(client, "lead")
    url = f"/api/v1/cases/{report.case_id}/messages"
    OutboxMessage.objects.all().delete()
    assert _post(client, url, {"text": "APIREPLYCANARY one"}, **lead).status_code in (200, 201)
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == ["reporter_message"]
    receipt = {"HTTP_X_RECEIPT": submission.receipt}
    assert _post(client, "/api/v1/receipt/replies", {"via": "email"}, **receipt).status_code == 200
    OutboxMessage.objects.all().delete()
    assert _post(client, url, {"text": "APIREPLYCANARY two"}, **lead).status_code in (200, 201)
    row = OutboxMessage.objects.get()
    assert row.kind == OutboxMessage.Kind.TO_REPORTER
    assert "APIREPLYCANARY" not in str(row.context) + row.address
    assert "APIREPLYCANARY two" in envelope.opened(row)["body"]


def test_the_events_other_ways_to_report_are_in_its_public_info(client, cast):
    IntakeChannel.objects.create(
        event=cast.event, kind="mail", provider="listener", address="report@conf.example"
    )
    IntakeChannel.objects.create(
        event=cast.event, kind="sms", provider="gateway", address="+4930555000", enabled=False
    )
    info = client.get("/api/v1/events/conf").json()
    assert info["other_ways"] == [{"kind": "mail", "address": "report@conf.example"}]
