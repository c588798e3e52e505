"""Proposing, approving and making a decision final: every transition and who may take it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.cases.models import Status, TimelineEntry
from ombud.cases.services import work
from ombud.decisions.models import Approval, ApprovalRule, BanEntry, Decision
from ombud.decisions.services import decide
from ombud.decisions.services.decide import DecisionRefused
from ombud.staff.models import Role
from tests import factories
from tests.decisions.conftest import CANARY, make_final, propose

pytestmark = pytest.mark.django_db


def test_a_proposal_seals_its_text_and_is_audited(keyed, case):
    decision = propose(case, keyed.responder, "verbal")
    row = Decision.objects.get(pk=decision.pk)
    assert row.state == Decision.State.PROPOSED
    assert row.proposed_by == keyed.responder
    assert CANARY.encode() not in bytes(row.sealed)
    assert "José".encode() not in bytes(row.sealed)
    assert Entry.objects.filter(action="decision.proposed", object_id=str(decision.pk)).exists()


def test_no_action_needs_no_approval_and_makes_the_case_decided(keyed, case):
    decision = propose(case, keyed.lead, "no_action")
    make_final(decision, keyed.lead)
    case.refresh_from_db()
    decision.refresh_from_db()
    assert case.status == Status.DECIDED
    assert decision.state == Decision.State.FINAL
    assert decision.closed_by == keyed.lead
    change = TimelineEntry.objects.filter(case=case, kind="status_changed").last()
    assert (change.detail["to"], change.actor) == ("decided", keyed.lead)
    assert Entry.objects.filter(action="decision.made_final").count() == 1


def test_a_responder_alone_decides_what_the_event_lets_one_responder_decide(keyed, case):
    decision = propose(case, keyed.responder, "verbal")
    make_final(decision, keyed.responder)
    decision.refresh_from_db()
    case.refresh_from_db()
    assert (decision.state, case.status) == (Decision.State.FINAL, Status.DECIDED)


def test_a_written_warning_needs_one_approval_besides_the_proposer(keyed, case):
    decision = propose(case, keyed.lead, "written")
    with pytest.raises(DecisionRefused, match="Not enough approvals"):
        make_final(decision, keyed.lead)
    decide.approve(decision, by=keyed.responder)
    make_final(decision, keyed.lead)
    decision.refresh_from_db()
    assert decision.state == Decision.State.FINAL
    assert list(decision.approvals.values_list("by__username", flat=True)) == ["responder"]


def test_a_ban_needs_two_approvals_including_a_lead(keyed, case):
    decision = propose(case, keyed.responder, "ban", ban_until=None)
    decide.approve(decision, by=keyed.responder_off)
    with pytest.raises(DecisionRefused, match="Not enough approvals"):
        make_final(decision, keyed.lead)
    extra = factories.user("responder3", "Ria", "Third")
    factories.member(keyed.event, extra, Role.RESPONDER)
    decide.approve(decision, by=extra)  # two approvals now, but no lead among them
    with pytest.raises(DecisionRefused, match="at least one by an incident lead"):
        make_final(decision, keyed.lead)
    decide.approve(decision, by=keyed.lead2)
    make_final(decision, keyed.lead)
    decision.refresh_from_db()
    assert decision.state == Decision.State.FINAL
    assert BanEntry.objects.filter(decision=decision, expires_on=None).exists()


def test_an_events_own_rule_replaces_the_default(keyed, case):
    ApprovalRule.objects.create(
        event=keyed.event, consequence="no_action", approvals=1, lead_required=True
    )
    decision = propose(case, keyed.lead, "no_action")
    decide.approve(decision, by=keyed.responder)
    with pytest.raises(DecisionRefused, match="Not enough approvals"):
        make_final(decision, keyed.lead)
    decide.approve(decision, by=keyed.lead2)
    make_final(decision, keyed.lead)


def test_the_proposer_cannot_approve_their_own_proposal(keyed, case):
    decision = propose(case, keyed.responder, "written")
    with pytest.raises(DecisionRefused, match="someone else has to approve"):
        decide.approve(decision, by=keyed.responder)
    assert not Approval.objects.exists()


def test_approving_twice_is_refused_and_counts_once(keyed, case):
    decision = propose(case, keyed.lead, "removal")
    decide.approve(decision, by=keyed.responder)
    with pytest.raises(DecisionRefused, match="already approved"):
        decide.approve(decision, by=keyed.responder)
    assert decision.approvals.count() == 1


def test_people_off_the_response_team_cannot_approve(keyed, case):
    decision = propose(case, keyed.lead, "written")
    for person in (keyed.staff, keyed.desk, keyed.admin, keyed.outsider, keyed.unacked):
        with pytest.raises(DecisionRefused, match="response team"):
            decide.approve(decision, by=person)
    assert not Approval.objects.exists()


def test_a_decision_on_a_closed_case_is_refused(keyed, case):
    work.change_status(case, "closed", by=keyed.lead, expected_version=case.version)
    with pytest.raises(DecisionRefused, match="closed"):
        propose(case, keyed.lead)
    assert not Decision.objects.exists()


def test_approving_or_finalising_on_a_case_closed_meanwhile_is_refused(keyed, case):
    decision = propose(case, keyed.lead, "written")
    case.refresh_from_db()
    work.change_status(case, "closed", by=keyed.lead, expected_version=case.version)
    with pytest.raises(DecisionRefused, match="closed"):
        decide.approve(decision, by=keyed.responder)
    with pytest.raises(DecisionRefused, match="closed"):
        make_final(decision, keyed.lead)
    decision.refresh_from_db()
    assert decision.state == Decision.State.PROPOSED
    assert not Approval.objects.exists()


def test_a_new_case_must_be_acknowledged_first(keyed):
    case = factories.file_report(keyed.event).report.case
    with pytest.raises(DecisionRefused, match="Acknowledge"):
        propose(case, keyed.lead)


def test_a_second_final_decision_is_refused(keyed, case):
    first = propose(case, keyed.lead, "no_action")
    make_final(first, keyed.lead)
    with pytest.raises(DecisionRefused, match="already has a final decision"):
        propose(case, keyed.lead, "verbal")
    with pytest.raises(DecisionRefused, match="already has a final decision"):
        make_final(first, keyed.lead)
    assert Decision.objects.filter(case=case).count() == 1


def test_one_proposal_at_a_time(keyed, case):
    propose(case, keyed.lead, "verbal")
    with pytest.raises(DecisionRefused, match="already waiting"):
        propose(case, keyed.responder, "written")


def test_withdrawing_lets_the_team_propose_again(keyed, case):
    decision = propose(case, keyed.lead2, "verbal")
    with pytest.raises(DecisionRefused, match="proposer or an incident lead"):
        decide.withdraw(decision, by=keyed.responder)
    decide.withdraw(decision, by=keyed.lead2)
    decision.refresh_from_db()
    assert decision.state == Decision.State.WITHDRAWN
    with pytest.raises(DecisionRefused, match="withdrawn"):
        decide.approve(decision, by=keyed.responder)
    with pytest.raises(DecisionRefused, match="withdrawn"):
        make_final(decision, keyed.lead)
    again = propose(case, keyed.responder, "written")
    assert again.state == Decision.State.PROPOSED


def test_a_stale_page_cannot_make_a_decision_final_and_nothing_changes(keyed, case):
    decision = propose(case, keyed.lead, "ban", ban_until=None)
    decide.approve(decision, by=keyed.lead2)
    decide.approve(decision, by=keyed.responder)
    seen = case.version
    case.refresh_from_db()
    work.change_status(case, "investigating", by=keyed.responder, expected_version=case.version)
    with pytest.raises(work.StaleCase):
        decide.make_final(decision, by=keyed.lead, expected_version=seen)
    decision.refresh_from_db()
    assert decision.state == Decision.State.PROPOSED
    assert not BanEntry.objects.exists()


def test_a_ban_without_respondent_identity_is_refused(keyed, case):
    with pytest.raises(DecisionRefused, match="name, badge number or e-mail"):
        propose(case, keyed.lead, "ban", identity={"name": "  ", "badge": "--", "email": ""})
    assert not Decision.objects.exists()


def test_a_ban_period_must_end_in_the_future(keyed, case):
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(DecisionRefused, match="after today"):
        propose(case, keyed.lead, "ban", ban_until=yesterday)


def test_a_ban_for_a_period_expires_on_its_end_date(keyed, case):
    until = timezone.localdate() + timedelta(days=365)
    decision = propose(case, keyed.lead, "ban", ban_until=until)
    decide.approve(decision, by=keyed.lead2)
    decide.approve(decision, by=keyed.responder)
    make_final(decision, keyed.lead)
    assert BanEntry.objects.get(decision=decision).expires_on == until


def test_other_consequences_make_no_ban_list_entry(keyed, case):
    decision = propose(case, keyed.lead, "removal", ban_until=timezone.localdate())
    decide.approve(decision, by=keyed.lead2)
    decide.approve(decision, by=keyed.responder)
    make_final(decision, keyed.lead)
    decision.refresh_from_db()
    assert decision.ban_until is None
    assert not BanEntry.objects.exists()
