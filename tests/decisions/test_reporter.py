"""The reporter, through their receipt: sees a proposed outcome the team chose to show,
comments on it before it is final, and reads the final outcome."""

import pytest
from django.urls import reverse

from ombud.audit.models import Entry
from ombud.cases.services import work
from ombud.decisions.models import ReporterComment
from ombud.decisions.services import decide
from ombud.decisions.services import reporter as outcomes
from tests import factories
from tests.decisions.conftest import make_final, propose

pytestmark = pytest.mark.django_db

SAY = "REPORTERSAYS-91c"


@pytest.fixture
def filed(keyed):
    submission = factories.file_report(keyed.event, what_happened="it happened")
    case = factories.declared(submission.report.case, keyed.lead, keyed.lead2, keyed.responder)
    work.change_status(case, "acknowledged", by=keyed.lead, expected_version=case.version)
    case.refresh_from_db()
    return submission.receipt, case


def _followup(client, receipt, **data):
    return client.post(reverse("receipt:followup"), {"receipt": receipt, **data})


def test_a_proposal_not_shown_to_the_reporter_stays_hidden(client, keyed, filed):
    receipt, case = filed
    propose(case, keyed.lead, "verbal", to_reporter="HIDDENPROPOSAL")
    page = _followup(client, receipt).content.decode()
    assert "HIDDENPROPOSAL" not in page
    assert "Proposed outcome" not in page
    response = _followup(client, receipt, action="comment", comment="hello")
    assert "no longer open for comments" in response.content.decode()
    assert not ReporterComment.objects.exists()


def test_the_reporter_reads_the_proposal_and_comments_and_the_team_sees_it(client, keyed, filed):
    receipt, case = filed
    decision = propose(
        case, keyed.lead, "written", to_reporter="PROPOSEDTEXT", show_to_reporter=True
    )
    page = _followup(client, receipt).content.decode()
    assert "Proposed outcome" in page
    assert "PROPOSEDTEXT" in page
    assert "Your comment on the proposed outcome" in page
    assert "to respondent" not in page  # never what the respondent is told, nor the reasoning
    assert "reasoning" not in page

    response = _followup(client, receipt, action="comment", comment=f"{SAY} please reconsider")
    assert response.status_code == 200
    assert "Thank you. The response team will read your comment." in response.content.decode()
    assert f"{SAY} please reconsider" in response.content.decode()
    row = ReporterComment.objects.get(decision=decision)
    assert SAY.encode() not in bytes(row.sealed)
    assert Entry.objects.filter(action="decision.reporter_commented").exists()

    from tests.decisions.test_pages import _panel  # noqa: PLC0415 -- shared renderer

    assert f"{SAY} please reconsider" in _panel(case, keyed.responder)


def test_an_empty_comment_is_refused_and_nothing_is_stored(client, keyed, filed):
    receipt, case = filed
    propose(case, keyed.lead, "written", show_to_reporter=True)
    response = _followup(client, receipt, action="comment", comment="   ")
    assert response.status_code == 400
    assert not ReporterComment.objects.exists()


def test_once_final_the_reporter_reads_the_outcome_and_can_no_longer_comment(client, keyed, filed):
    receipt, case = filed
    decision = propose(case, keyed.lead, "written", to_reporter="FINALTEXT", show_to_reporter=True)
    decide.approve(decision, by=keyed.responder)
    make_final(decision, keyed.lead)
    page = _followup(client, receipt).content.decode()
    assert "FINALTEXT" in page
    assert "Proposed outcome" not in page
    assert "Your comment on the proposed outcome" not in page
    with pytest.raises(outcomes.NothingToComment):
        outcomes.comment(receipt, "too late")
    assert not ReporterComment.objects.exists()


def test_a_final_decision_is_shown_even_if_never_proposed_to_the_reporter(keyed, filed):
    receipt, case = filed
    decision = propose(case, keyed.lead, "no_action", to_reporter="DONE")
    assert outcomes.outcome_for(receipt) is None
    make_final(decision, keyed.lead)
    outcome = outcomes.outcome_for(receipt)
    assert (outcome.final, outcome.text) == (True, "DONE")


def test_another_reporters_receipt_sees_nothing_of_this_case(client, keyed, filed):
    _receipt, case = filed
    propose(case, keyed.lead, "written", to_reporter="NOTYOURS", show_to_reporter=True)
    other = factories.file_report(keyed.event, what_happened="something else").receipt
    assert "NOTYOURS" not in _followup(client, other).content.decode()
    _followup(client, other, action="comment", comment="x")
    assert not ReporterComment.objects.exists()


def test_a_wrong_receipt_cannot_comment(client, keyed, filed):
    _receipt, case = filed
    propose(case, keyed.lead, "written", show_to_reporter=True)
    response = _followup(client, "0" * 28, action="comment", comment="x")
    assert response.status_code == 404
    assert not ReporterComment.objects.exists()
