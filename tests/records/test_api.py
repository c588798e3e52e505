"""Retention through the API: the case file's expunge date, and a lead keeping a case
longer (POST /cases/<id>/retention) - a 404 for anyone else, a 409 when refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.accounts.models import ApiToken
from ombud.records.models import RetentionExtension
from ombud.records.services import expiry
from ombud.vault import people
from tests import factories
from tests.records.helpers import closed_case, keyed, open_case

pytestmark = pytest.mark.django_db


def _bearer(person):
    _row, token = ApiToken.issue(person, people.unlock(person, factories.PASSWORD))
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_case_file_says_when_and_why_it_is_expunged(cast, client):
    keyed(cast)
    closed_on = timezone.now() - timedelta(days=10)
    case = closed_case(cast, closed_on, "verbal")
    found = client.get(f"/api/v1/cases/{case.pk}", **_bearer(cast.responder)).json()
    assert found["expunge_rule"] == expiry.WARNING
    assert found["expunge_on"] == expiry.expiry_of(case).on.isoformat()
    still_open = open_case(cast)
    found = client.get(f"/api/v1/cases/{still_open.pk}", **_bearer(cast.lead)).json()
    assert (found["expunge_on"], found["expunge_rule"]) == (None, expiry.OPEN)


def test_a_lead_keeps_a_case_longer_through_the_api(cast, client):
    keyed(cast)
    case = closed_case(cast, timezone.now() - timedelta(days=10))
    until = (expiry.expiry_of(case).on + timedelta(days=60)).isoformat()
    url = f"/api/v1/cases/{case.pk}/retention"
    body = {"version": case.version, "until": until, "reason": "Appeal expected"}

    def post(person, payload):
        return client.post(url, payload, content_type="application/json", **_bearer(person))

    assert post(cast.responder, body).status_code == 404
    assert post(cast.outsider, body).status_code == 404
    assert post(cast.lead, {**body, "until": "not a date"}).status_code == 422
    assert post(cast.lead, {**body, "version": case.version + 5}).json()["code"] == "stale"
    done = post(cast.lead, body)
    assert done.status_code == 200
    assert (done.json()["expunge_on"], done.json()["expunge_rule"]) == (until, expiry.EXTENDED)
    earlier = post(cast.lead, {**body, "version": done.json()["version"], "until": until})
    assert earlier.status_code == 409
    assert RetentionExtension.objects.filter(case=case).count() == 1


def test_the_retention_endpoint_is_in_the_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/cases/{case_id}/retention"]
    assert "post" in paths["/api/v1/receipt/withdrawal"]
