"""Decisions through the API, as an integration would drive them."""

import pytest

from ombud.accounts.models import ApiToken
from ombud.cases.models import Status
from ombud.cases.services import grants
from ombud.decisions.models import BanEntry
from ombud.staff.models import Role
from ombud.vault import people
from tests import factories

pytestmark = pytest.mark.django_db


def _bearer(person):
    _row, token = ApiToken.issue(person, people.unlock(person, factories.PASSWORD))
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_ban_proposed_approved_made_final_appealed_and_upheld(client, cast, case):
    base = f"/api/v1/cases/{case.pk}/decisions"

    def post(path, person, body=None):
        return client.post(
            base + path, body or {}, content_type="application/json", **_bearer(person)
        )

    proposal = {"consequence": "ban", "reasoning": "Repeated, witnessed."}
    refused = post("", cast.responder, proposal)
    assert refused.status_code == 409  # a ban needs who it is about
    assert "name, badge number or e-mail" in refused.json()["detail"]
    created = post("", cast.responder, {**proposal, "respondent": {"badge": "B-9"}})
    assert created.status_code == 201
    decision = created.json()
    assert (decision["state"], decision["proposed_by"]) == ("proposed", "responder")
    path = f"/{decision['id']}"
    assert post(path + "/approve", cast.responder).status_code == 409  # own proposal
    assert post(path + "/approve", cast.responder_off).json()["approved_by"] == ["offduty"]
    assert post(path + "/approve", cast.lead2).json()["rule_met"] is not False
    case.refresh_from_db()
    final = post(path + "/final", cast.lead, {"version": case.version})
    assert final.status_code == 200
    assert final.json()["state"] == "final"
    case.refresh_from_db()
    assert case.status == Status.DECIDED
    assert BanEntry.objects.filter(decision_id=decision["id"]).exists()
    assert post(path + "/appeal", cast.lead, {"grounds": "I was not there."}).status_code == 200
    review = {"outcome": "upheld", "reasoning": "Witnessed."}
    # Making it final is taking part: the lead may not review the appeal.
    assert post(path + "/appeal/review", cast.lead, review).status_code == 409
    reviewer = factories.user("reviewer", "Rev", "Iewer")
    factories.member(cast.event, reviewer, Role.RESPONDER)
    factories.vouched(reviewer, by=cast.admin)  # their key, confirmed on the dashboard
    factories.declared(case, reviewer)
    grants.grant_pending(factories.holding_key(cast.lead))  # joined after the report
    reviewed = post(path + "/appeal/review", reviewer, review)
    assert reviewed.status_code == 200
    assert reviewed.json()["appeal"]["outcome"] == "upheld"
    listed = client.get(base, **_bearer(cast.lead)).json()
    assert [d["id"] for d in listed] == [decision["id"]]
