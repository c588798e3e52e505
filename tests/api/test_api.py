"""The public contract of DESIGN §6, as a stranger's client uses it."""

import json
import re
from pathlib import Path

import pytest

from ombud.cases.models import Report
from tests import factories

pytestmark = pytest.mark.django_db

INTAKE = "/api/v1/events/conf/reports"
RECEIPT = re.compile(r"^([0-9A-Z]{4}-){6}[0-9A-Z]{4}$")


def _post(client, url, payload, **headers):
    return client.post(url, json.dumps(payload), content_type="application/json", **headers)


def _token(client, username):
    response = _post(
        client,
        "/api/v1/auth/token",
        {"username": username, "password": factories.PASSWORD, "otp": factories.otp()},
    )
    assert response.status_code == 200
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def test_public_intake_returns_201_with_receipt_and_report_id(client, cast):
    response = _post(
        client,
        INTAKE,
        {
            "what_happened": "Unwanted touching at the party",
            "who": "badge 1234",
            "when": "yesterday 22:00",
            "where": "hotel bar",
            "circumstances": "conference party",
            "others_involved": "a friend",
            "danger_now": False,
            "reporter_relation": "witness",
            "law_enforcement": "not_now",
            "contact": "me@example.org",
            "exclude_staff": ["lead"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert RECEIPT.match(body["receipt"])
    report = Report.objects.get(pk=body["report_id"])
    assert (report.channel, report.reporter_relation, report.law_enforcement) == (
        "api",
        "witness",
        "not_now",
    )
    assert report.reachable


def test_only_what_happened_is_required(client, cast):
    assert _post(client, INTAKE, {"what_happened": "only this"}).status_code == 201


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"what_happened": ""},
        {"what_happened": "   "},
        {"what_happened": 5},
        {"what_happened": ["list"]},
        {"what_happened": "x" * 20_001},
        {"what_happened": "ok", "danger_now": "yes"},
        {"what_happened": "ok", "danger_now": 1},
        {"what_happened": "ok", "reporter_relation": "bystander"},
        {"what_happened": "ok", "law_enforcement": "maybe"},
        {"what_happened": "ok", "exclude_staff": "lead"},
        {"what_happened": "ok", "exclude_staff": ["x"] * 51},
        {"what_happened": "ok", "waht_happened": "typo"},
        {"what_happened": "nul \u0000 char"},
        {"what_happened": "ok", "channel": "phone"},
        [],
        "just a string",
    ],
)
def test_bad_intake_bodies_are_422_and_store_nothing(client, cast, payload):
    response = _post(client, INTAKE, payload)
    assert response.status_code == 422
    assert "detail" in response.json()
    assert not Report.objects.exists()


def test_validation_errors_do_not_echo_the_submitted_text(client, cast):
    response = _post(client, INTAKE, {"what_happened": "ok", "who": "SECRET" * 300})
    assert response.status_code == 422
    assert "SECRET" not in response.content.decode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"what_happened": "caf\xff"}', "application/json"),
        (b"what_happened=form", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_are_4xx_json(client, cast, body, content_type):
    response = client.post(INTAKE, body, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    assert not Report.objects.exists()


def test_oversized_body_is_413(client, cast):
    response = client.post(
        INTAKE, json.dumps({"what_happened": "x" * 300_000}), content_type="application/json"
    )
    assert response.status_code == 413
    assert not Report.objects.exists()


def test_unknown_event_is_404_json(client, db):
    response = _post(client, "/api/v1/events/nope/reports", {"what_happened": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown event."}


def test_idempotency_key_makes_resends_safe(client, cast):
    headers = {"HTTP_IDEMPOTENCY_KEY": "resend-key-0123456789abcdef"}
    first = _post(client, INTAKE, {"what_happened": "once"}, **headers).json()
    again = _post(client, INTAKE, {"what_happened": "once"}, **headers)
    assert again.status_code == 201
    assert (again.json()["receipt"], again.json()["report_id"]) == (
        first["receipt"],
        first["report_id"],
    )
    assert again.json()["repeated"] is True
    assert Report.objects.count() == 1
    bad = _post(client, INTAKE, {"what_happened": "x"}, HTTP_IDEMPOTENCY_KEY="short")
    assert bad.status_code == 422


def test_staff_with_a_token_take_reports_for_someone(client, cast):
    headers = _token(client, "staffer")
    response = _post(client, INTAKE, {"what_happened": "told me", "channel": "phone"}, **headers)
    assert response.status_code == 201
    report = Report.objects.get()
    assert (report.channel, report.taken_by) == ("phone", cast.staff)


def test_a_bad_token_on_intake_is_401_not_an_anonymous_report(client, cast):
    response = _post(client, INTAKE, {"what_happened": "x"}, HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert not Report.objects.exists()


def test_tokens_for_people_who_read_reports_need_the_second_factor(client, cast):
    base = {"username": "lead", "password": factories.PASSWORD}
    missing = _post(client, "/api/v1/auth/token", base)
    assert missing.status_code == 401
    assert "second factor" in missing.json()["detail"]
    wrong = _post(client, "/api/v1/auth/token", {**base, "otp": "000000"})
    assert wrong.status_code == 401
    # Plain staff read no reports: a password is enough for them.
    staff = _post(
        client, "/api/v1/auth/token", {"username": "staffer", "password": factories.PASSWORD}
    )
    assert staff.status_code == 200


def test_password_guessing_on_one_account_is_throttled(client, cast, settings):
    settings.RATE_LIMITS = True
    for _ in range(10):
        _post(client, "/api/v1/auth/token", {"username": "lead", "password": "guess"})
    blocked = _post(
        client, "/api/v1/auth/token", {"username": "lead", "password": factories.PASSWORD}
    )
    assert blocked.status_code == 429
    # The password together with the second factor still signs the lead in.
    together = _post(
        client,
        "/api/v1/auth/token",
        {"username": "lead", "password": factories.PASSWORD, "otp": factories.otp()},
    )
    assert together.status_code == 200
    # Someone else at the same venue address signs in as usual.
    assert (
        _post(
            client,
            "/api/v1/auth/token",
            {"username": "lead2", "password": factories.PASSWORD, "otp": factories.otp()},
        ).status_code
        == 200
    )


def test_token_me_and_revocation(client, cast):
    wrong = _post(client, "/api/v1/auth/token", {"username": "lead", "password": "nope"})
    assert wrong.status_code == 401
    headers = _token(client, "lead")
    me = client.get("/api/v1/me", **headers).json()
    assert (me["username"], me["email"]) == ("lead", "lead@example.org")
    assert me["roles"] == {"conf": ["lead"]}
    admin = client.get("/api/v1/me", **_token(client, "orgadmin")).json()
    assert admin["roles"] == {"conf": ["organiser_admin"]}
    assert client.delete("/api/v1/auth/token", **headers).status_code == 204
    assert client.get("/api/v1/me", **headers).status_code == 401


def test_receipt_endpoint_is_the_reporters_own_view(client, cast):
    created = _post(client, INTAKE, {"what_happened": "mine"}).json()
    view = client.get("/api/v1/receipt", HTTP_X_RECEIPT=created["receipt"])
    assert view.status_code == 200
    assert view.json()["report"]["what_happened"] == "mine"
    assert view.json()["status"] == "new"
    added = _post(
        client, "/api/v1/receipt/messages", {"text": "more"}, HTTP_X_RECEIPT=created["receipt"]
    )
    assert added.status_code == 201
    thread = client.get("/api/v1/receipt", HTTP_X_RECEIPT=created["receipt"]).json()["messages"]
    assert [(m["from_reporter"], m["text"]) for m in thread] == [(True, "more")]
    assert client.get("/api/v1/receipt").status_code == 401
    assert client.get("/api/v1/receipt", HTTP_X_RECEIPT="A" * 28).status_code == 404


def test_staff_drive_a_case_through_the_api(client, cast):
    created = _post(client, INTAKE, {"what_happened": "api flow"}).json()
    headers = _token(client, "lead")
    # The lead may read it once they declare no conflict of interest: 409 names the case.
    asked = client.get(f"/api/v1/reports/{created['report_id']}", **headers)
    assert asked.status_code == 409
    assert asked.json()["code"] == "declaration_required"
    assert "api flow" not in asked.content.decode()
    case_id = asked.json()["case_id"]
    declared = _post(client, f"/api/v1/cases/{case_id}/declaration", {}, **headers)
    assert declared.status_code == 200
    case = client.get(f"/api/v1/cases/{case_id}", **headers).json()
    assert case["reports"][0]["content"]["what_happened"] == "api flow"
    assert case["allowed_statuses"] == ["acknowledged"]
    url = f"/api/v1/cases/{case_id}"
    acked = _post(client, url + "/acknowledge", {"version": case["version"]}, **headers)
    assert acked.status_code == 200
    assert acked.json()["status"] == "acknowledged"
    stale = _post(client, url + "/status", {"status": "investigating", "version": 1}, **headers)
    assert stale.status_code == 409
    moved = _post(
        client,
        url + "/status",
        {"status": "investigating", "version": acked.json()["version"]},
        **headers,
    )
    assert moved.json()["status"] == "investigating"
    assert _post(client, url + "/notes", {"text": "internal"}, **headers).status_code == 201
    sent = _post(client, url + "/messages", {"text": "hello reporter"}, **headers)
    assert sent.status_code == 201
    reporter_view = client.get("/api/v1/receipt", HTTP_X_RECEIPT=created["receipt"]).json()
    assert [m["text"] for m in reporter_view["messages"]] == ["hello reporter"]
    assert [s["status"] for s in reporter_view["status_history"]] == [
        "acknowledged",
        "investigating",
    ]
    bad = _post(client, url + "/status", {"status": "bogus", "version": 3}, **headers)
    assert bad.status_code == 422


def test_openapi_schema_documents_every_endpoint(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/events/{event}/reports",
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/reports",
        "/api/v1/reports/{report_id}",
        "/api/v1/receipt",
        "/api/v1/receipt/messages",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/acknowledge",
        "/api/v1/cases/{case_id}/status",
        "/api/v1/cases/{case_id}/notes",
        "/api/v1/cases/{case_id}/messages",
    } <= paths
    intake = schema["paths"]["/api/v1/events/{event}/reports"]["post"]
    assert "201" in intake["responses"]


def test_every_api_path_the_readme_names_is_in_the_schema(client, db):
    """The README's API table is checked against the schema: a renamed or removed
    operation fails here, not in a stranger's client."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    named = set(re.findall(r"(/api/v1/[A-Za-z0-9_<>/.{}-]+)", readme))
    schema = client.get("/api/v1/openapi.json").json()

    def shape(path: str) -> str:
        return re.sub(r"[<{][^>}]+[>}]", "{}", path.rstrip("/."))

    served = {shape(path) for path in schema["paths"]} | {"/api/v1/openapi.json"}
    # A concrete path (the demo's, in an example command) names the operation it matches.
    patterns = [re.compile(re.escape(p).replace(re.escape("{}"), "[^/]+") + "$") for p in served]
    assert len(named) > 15
    missing = sorted(
        path
        for path in named
        if shape(path) not in served and not any(p.match(shape(path)) for p in patterns)
    )
    assert not missing, f"in the README but not in the API: {missing}"


def test_the_schema_documents_every_refusal_an_operation_can_give(client, db):
    """400 (not JSON) and 422 (against the schema) wherever a body is taken, 401 wherever
    a token is needed, 404 wherever a path names something, 409 for every case."""
    schema = client.get("/api/v1/openapi.json").json()
    missing = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            wanted = set()
            if "requestBody" in operation:
                wanted |= {"400", "422"}
            if operation.get("security"):
                wanted.add("401")
            if "{" in path:
                wanted.add("404")
            if path.startswith("/api/v1/cases/{case_id}"):
                wanted.add("409")
            absent = wanted - set(operation["responses"])
            if absent:
                missing.append(f"{method.upper()} {path}: {sorted(absent)}")
    assert not missing, missing
    conflict = schema["components"]["schemas"]["Conflict"]["properties"]
    assert {"detail", "code", "case_id"} <= set(conflict)
