"""Appeals: recorded by staff for the respondent, reviewed only by people who did not decide."""

import pytest

from ombud.cases.services import grants, work
from ombud.decisions.models import Appeal, BanEntry
from ombud.decisions.services import appeals, banlist, decide
from ombud.decisions.services.decide import DecisionRefused
from ombud.staff.models import Role
from tests import factories
from tests.decisions.conftest import CANARY, make_final, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def banned(keyed, case):
    """A ban proposed by a responder, approved by lead2 and responder_off, made final by lead."""
    decision = propose(case, keyed.responder, "ban")
    decide.approve(decision, by=keyed.lead2)
    decide.approve(decision, by=keyed.responder_off)
    make_final(decision, keyed.lead)
    decision.refresh_from_db()
    return decision


@pytest.fixture
def reviewer(keyed):
    person = factories.holding_key(factories.user("reviewer", "Rene", "Viewer"))
    factories.member(keyed.event, person, Role.RESPONDER)
    factories.vouched(person, by=keyed.admin)  # their key, confirmed on the dashboard
    grants.grant_pending(keyed.lead)  # joined after intake: a case worker opens cases to them
    return person


def test_only_a_final_decision_can_be_appealed(keyed, case):
    decision = propose(case, keyed.lead, "written")
    with pytest.raises(DecisionRefused, match="Only a final decision"):
        appeals.record(decision, "grounds", by=keyed.lead)
    assert not Appeal.objects.exists()


def test_the_appeal_is_sealed_and_recorded_once(keyed, banned):
    appeal = appeals.record(banned, f"{CANARY} grounds", by=keyed.responder)
    assert CANARY.encode() not in bytes(Appeal.objects.get(pk=appeal.pk).sealed)
    with pytest.raises(DecisionRefused, match="already been appealed"):
        appeals.record(banned, "again", by=keyed.lead)
    assert Appeal.objects.count() == 1


def test_reviewers_are_the_case_workers_who_took_no_part(keyed, banned, reviewer):
    appeals.record(banned, "grounds", by=keyed.responder)
    assert appeals.eligible_reviewers(banned) == [reviewer]


def test_a_recused_case_worker_is_never_a_reviewer(keyed, reviewer):
    case = factories.file_report(keyed.event, who="Rene Viewer").report.case
    factories.declared(case, keyed.lead)
    work.change_status(case, "acknowledged", by=keyed.lead, expected_version=case.version)
    decision = propose(case, keyed.lead, "no_action")
    make_final(decision, keyed.lead)
    decision.refresh_from_db()
    appeals.record(decision, "grounds", by=keyed.lead)
    people = {p.username for p in appeals.eligible_reviewers(decision)}
    assert "reviewer" not in people
    assert people == {"lead2", "responder", "offduty"}


@pytest.mark.parametrize("who", ["responder", "lead2", "responder_off", "lead"])
def test_those_who_proposed_approved_or_finalised_cannot_review(keyed, banned, who):
    appeal = appeals.record(banned, "grounds", by=keyed.responder)
    with pytest.raises(DecisionRefused, match="took part in this decision"):
        appeals.review(appeal, "overturned", "no", by=getattr(keyed, who))
    appeal.refresh_from_db()
    assert appeal.outcome == Appeal.Outcome.PENDING


def test_an_uninvolved_reviewer_upholds(keyed, banned, reviewer):
    factories.declared(banned.case, reviewer)
    appeal = appeals.record(banned, "grounds", by=keyed.responder)
    appeals.review(appeal, "upheld", f"{CANARY} review", by=reviewer)
    appeal.refresh_from_db()
    assert (appeal.outcome, appeal.reviewed_by) == (Appeal.Outcome.UPHELD, reviewer)
    assert CANARY.encode() not in bytes(appeal.sealed_review)
    assert banlist.is_banned(keyed.event, "José Ávila")
    with pytest.raises(DecisionRefused, match="already been reviewed"):
        appeals.review(appeal, "overturned", "changed my mind", by=reviewer)


def test_overturning_a_ban_lifts_it_from_the_ban_list(keyed, banned, reviewer):
    assert banlist.is_banned(keyed.event, "José Ávila")
    factories.declared(banned.case, reviewer)
    appeal = appeals.record(banned, "grounds", by=keyed.lead)
    appeals.review(appeal, "overturned", "reasons", by=reviewer)
    assert BanEntry.objects.get(decision=banned).lifted_at is not None
    assert not banlist.is_banned(keyed.event, "José Ávila")


def test_staff_and_desk_cannot_review(keyed, banned):
    appeal = appeals.record(banned, "grounds", by=keyed.lead)
    for person in (keyed.staff, keyed.desk, keyed.admin, keyed.outsider):
        with pytest.raises(DecisionRefused):
            appeals.review(appeal, "overturned", "x", by=person)
