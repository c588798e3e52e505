"""Who reaches a case: every persona, after data that could leak exists.

A case someone may not see is a 404 everywhere - page, API, list, count -
never a 403, so even its existence stays confidential.
"""

import re

import pytest

from ombud.accounts.models import ApiToken
from ombud.cases.models import Case, Status
from ombud.vault import people
from tests import factories

pytestmark = pytest.mark.django_db

# persona -> may work the case. "lead2" is named in the report, so recused.
CASE_ACCESS = {
    "lead": True,
    "lead2": False,
    "responder": True,
    "responder_off": True,
    "unacked": False,
    "staff": False,
    "desk": False,
    "admin": False,
    "outsider": False,
}


def _persona(cast, name):
    return {
        "lead": cast.lead,
        "lead2": cast.lead2,
        "responder": cast.responder,
        "responder_off": cast.responder_off,
        "unacked": cast.unacked,
        "staff": cast.staff,
        "desk": cast.desk,
        "admin": cast.admin,
        "outsider": cast.outsider,
    }[name]


@pytest.fixture
def case(cast):
    submission = factories.file_report(
        cast.event,
        what_happened="LEAKCHECK content",
        who="Lou Second",
        channel="in_person",
        taken_by=cast.staff,
    )
    return submission.report.case


def _bearer(user):
    _row, token = ApiToken.issue(user, people.unlock(user, factories.PASSWORD))
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.parametrize(("persona", "allowed"), CASE_ACCESS.items())
def test_case_page(client, cast, case, persona, allowed):
    factories.sign_in(client, _persona(cast, persona))
    response = client.get(f"/staff/cases/{case.pk}/")
    assert response.status_code == (200 if allowed else 404)
    # Before they declare no conflict of interest, even allowed people see the code name only.
    assert "LEAKCHECK" not in response.content.decode()
    assert (case.code_name in response.content.decode()) is allowed
    declared = client.post(
        f"/staff/cases/{case.pk}/", {"action": "declare", "choice": "no_conflict"}
    )
    assert declared.status_code == (302 if allowed else 404)
    response = client.get(f"/staff/cases/{case.pk}/")
    assert ("LEAKCHECK" in response.content.decode()) is allowed


@pytest.mark.parametrize(("persona", "allowed"), CASE_ACCESS.items())
def test_case_actions_on_the_page(client, cast, case, persona, allowed):
    factories.sign_in(client, _persona(cast, persona))
    note = {"action": "note", "text": "a note"}
    undeclared = client.post(f"/staff/cases/{case.pk}/", note)
    # Allowed people are asked to declare first; nothing is done before they do.
    assert undeclared.status_code == (409 if allowed else 404)
    assert "LEAKCHECK" not in undeclared.content.decode()
    assert not case.notes.exists()
    factories.declared(case, _persona(cast, persona))
    response = client.post(f"/staff/cases/{case.pk}/", note)
    assert response.status_code == (302 if allowed else 404)
    assert case.notes.exists() is allowed


@pytest.mark.parametrize(("persona", "allowed"), CASE_ACCESS.items())
def test_dashboard_lists_only_workable_cases(client, cast, case, persona, allowed):
    factories.sign_in(client, _persona(cast, persona))
    html = client.get("/staff/").content.decode()
    assert (case.code_name in html) is allowed


@pytest.mark.parametrize(("persona", "allowed"), CASE_ACCESS.items())
def test_case_api(client, cast, case, persona, allowed):
    headers = _bearer(_persona(cast, persona))
    listed = client.get("/api/v1/cases", **headers).json()
    assert ([c["id"] for c in listed] == [str(case.pk)]) is allowed
    detail = client.get(f"/api/v1/cases/{case.pk}", **headers)
    # Allowed people first declare no conflict of interest: 409, and no content.
    assert detail.status_code == (409 if allowed else 404)
    assert "LEAKCHECK" not in detail.content.decode()
    if allowed:
        assert detail.json() == {
            "detail": detail.json()["detail"],
            "code": "declaration_required",
            "case_id": str(case.pk),
        }
    declared = client.post(
        f"/api/v1/cases/{case.pk}/declaration", {}, content_type="application/json", **headers
    )
    assert declared.status_code == (200 if allowed else 404)
    detail = client.get(f"/api/v1/cases/{case.pk}", **headers)
    assert detail.status_code == (200 if allowed else 404)
    assert ("LEAKCHECK" in detail.content.decode()) is allowed
    acknowledge = client.post(
        f"/api/v1/cases/{case.pk}/acknowledge",
        {"version": case.version},
        content_type="application/json",
        **headers,
    )
    assert acknowledge.status_code == (200 if allowed else 404)


@pytest.mark.parametrize(("persona", "allowed"), CASE_ACCESS.items())
def test_report_api(client, cast, case, persona, allowed):
    report = case.reports.get()
    headers = _bearer(_persona(cast, persona))
    detail = client.get(f"/api/v1/reports/{report.pk}", **headers)
    listed = {r["id"]: r["access"] for r in client.get("/api/v1/reports", **headers).json()}
    if allowed:
        assert detail.status_code == 409
        assert detail.json()["code"] == "declaration_required"
        assert "LEAKCHECK" not in detail.content.decode()
        factories.declared(case, _persona(cast, persona))
        detail = client.get(f"/api/v1/reports/{report.pk}", **headers)
        assert detail.json()["content"]["what_happened"] == "LEAKCHECK content"
        assert listed == {str(report.pk): "case"}
    elif persona == "staff":
        # They took the report: its status, nothing more.
        assert detail.status_code == 200
        assert detail.json()["content"] is None
        assert "LEAKCHECK" not in detail.content.decode()
        assert listed == {str(report.pk): "status"}
    else:
        assert detail.status_code == 404
        assert listed == {}


def test_anonymous_visitors_are_sent_to_sign_in_and_the_api_wants_a_token(client, case):
    response = client.get(f"/staff/cases/{case.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 401
    assert client.get("/api/v1/reports").status_code == 401


def test_an_unknown_case_id_and_a_forbidden_one_look_the_same(client, cast, case):
    factories.sign_in(client, cast.outsider)
    forbidden = client.get(f"/staff/cases/{case.pk}/")
    unknown = client.get("/staff/cases/00000000-0000-4000-8000-000000000000/")
    assert forbidden.status_code == unknown.status_code == 404
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", forbidden.content) == token.sub(b"", unknown.content)


def test_case_ids_are_random_not_sequential(cast):
    first = factories.file_report(cast.event).report.case_id
    second = factories.file_report(cast.event).report.case_id
    assert first.version == 4
    assert abs(first.int - second.int) > 2**64


def test_a_deactivated_responder_loses_access(client, cast, case):
    membership = cast.memberships["responder"]
    membership.active = False
    membership.save(update_fields=["active"])
    factories.sign_in(client, cast.responder)
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 404


def test_a_recusal_holds_when_the_code_of_conduct_changes_and_is_acknowledged_again(cast, case):
    from ombud.cases.queries import cases_visible_to  # noqa: PLC0415

    assert not cases_visible_to(cast.lead2).filter(pk=case.pk).exists()
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    assert not cases_visible_to(cast.lead2).exists()
