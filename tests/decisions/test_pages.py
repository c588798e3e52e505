"""The pages: decision actions from the case page, the panel, the rules page, the desk check.

Every page is asked by the outsiders too, after data that could leak exists.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.cases.services import respondents
from ombud.decisions.models import Approval, ApprovalRule, BanEntry, Decision
from ombud.decisions.services import banlist, decide
from ombud.web import ratelimit
from tests import factories
from tests.decisions.conftest import CANARY, make_final, propose

pytestmark = pytest.mark.django_db

CASE_URLS = ("propose", "approve", "make_final", "withdraw", "appeal", "review")


@pytest.fixture
def recused_case(cast):
    """A case naming lead2 and responder_off, so both are recused from it."""
    from ombud.cases.services import work  # noqa: PLC0415

    case = factories.file_report(
        cast.event, what_happened=f"{CANARY} again", who="Lou Second and Otto Offduty"
    ).report.case
    work.change_status(case, "acknowledged", by=cast.lead, expected_version=case.version)
    case.refresh_from_db()
    return factories.declared(case, cast.lead)


def _messages(response):
    """The messages of this response, newest last (redirects are not followed here)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def _said(response) -> str:
    return _messages(response)[-1]


@pytest.mark.parametrize("name", CASE_URLS)
@pytest.mark.parametrize("who", ["lead2", "responder_off", "staff", "desk", "admin", "outsider"])
def test_people_who_may_not_see_the_case_get_404(cast, signed_in, recused_case, name, who):
    decision = propose(recused_case, factories.holding_key(cast.lead), "written")
    client = signed_in(getattr(cast, who))
    url = reverse(f"decisions:{name}", args=[recused_case.pk])
    response = client.post(url, {"decision": str(decision.pk), "version": "1", "grounds": "x"})
    assert response.status_code == 404
    assert CANARY not in response.content.decode()
    assert not Approval.objects.exists()


@pytest.mark.parametrize("name", CASE_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, cast, recused_case, name):
    response = client.post(reverse(f"decisions:{name}", args=[recused_case.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")


def test_the_team_proposes_approves_and_finalises_through_the_pages(cast, signed_in, case):
    client = signed_in(cast.responder)
    response = client.post(
        reverse("decisions:propose", args=[case.pk]),
        {"consequence": "written", "reasoning": f"{CANARY} why", "to_reporter": "thanks"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/cases/{case.pk}/"
    assert _said(response) == "Decision proposed."
    decision = Decision.objects.get(case=case)

    own = client.post(reverse("decisions:approve", args=[case.pk]), {"decision": decision.pk})
    assert own.status_code == 302
    assert "someone else has to approve" in _said(own)

    client = signed_in(cast.lead)
    final = client.post(
        reverse("decisions:make_final", args=[case.pk]),
        {"decision": decision.pk, "version": case.version},
    )
    assert "Not enough approvals" in _said(final)
    client.post(reverse("decisions:approve", args=[case.pk]), {"decision": decision.pk})
    case.refresh_from_db()
    final = client.post(
        reverse("decisions:make_final", args=[case.pk]),
        {"decision": decision.pk, "version": case.version},
    )
    assert _said(final) == "The decision is final."
    case.refresh_from_db()
    assert case.status == "decided"


def test_a_stale_version_is_a_clear_message(cast, signed_in, case):
    decision = propose(case, factories.holding_key(cast.lead), "no_action")
    client = signed_in(cast.lead)
    response = client.post(
        reverse("decisions:make_final", args=[case.pk]),
        {"decision": decision.pk, "version": case.version + 5},
    )
    assert "Someone else changed this case" in _said(response)
    decision.refresh_from_db()
    assert decision.state == Decision.State.PROPOSED


def test_an_empty_post_changes_nothing(cast, signed_in, case):
    client = signed_in(cast.responder)
    for name in CASE_URLS[1:]:
        response = client.post(reverse(f"decisions:{name}", args=[case.pk]))
        assert response.status_code == 302, name
        assert "missing" in _said(response)
    response = client.post(reverse("decisions:propose", args=[case.pk]))
    assert response.status_code == 400
    assert not Decision.objects.exists()


def test_a_propose_form_with_mistakes_comes_back_filled_in(cast, signed_in, case):
    client = signed_in(cast.lead)
    response = client.post(
        reverse("decisions:propose", args=[case.pk]),
        {"consequence": "ban", "reasoning": "KEEPTHISTEXT", "respondent_name": "Someone"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "KEEPTHISTEXT" in page
    assert "tick “permanent”" in page
    assert not Decision.objects.exists()


_BAN = {
    "consequence": "ban",
    "permanent": "on",
    "reasoning": "KEEP-REASONING: he grabbed her twice",
    "to_respondent": "KEEP-RESPONDENT: you may not attend again",
    "to_reporter": "KEEP-REPORTER: he is banned",
    "show_to_reporter": "on",
}


def _kept(page: str) -> None:
    """Every field of the ban proposal typed in ``_BAN`` is in the page again."""
    for text in ("KEEP-REASONING", "KEEP-RESPONDENT", "KEEP-REPORTER"):
        assert text in page, text
    assert '<option value="ban" selected>' in page
    assert re.search(r'name="permanent"[^>]* checked', page)
    assert re.search(r'name="show_to_reporter"[^>]* checked', page)


def test_a_ban_without_identity_comes_back_with_everything_typed(cast, signed_in, case):
    client = signed_in(cast.lead)
    response = client.post(reverse("decisions:propose", args=[case.pk]), _BAN)
    assert response.status_code == 400
    page = response.content.decode()
    _kept(page)
    assert "name, badge number or e-mail" in page
    assert 'href="#id_respondent_name"' in page  # the error summary leads to the field
    assert not Decision.objects.exists()


def test_a_ban_without_identity_offers_the_person_recorded_in_the_case(cast, signed_in, case):
    respondents.record(case, by=factories.holding_key(cast.lead), name="Max Keller", badge="B-42")
    client = signed_in(cast.lead)
    url = reverse("decisions:propose", args=[case.pk])
    response = client.post(url, _BAN)
    assert response.status_code == 400
    page = response.content.decode()
    _kept(page)
    assert "person recorded in this case is filled in now" in page
    assert 'name="respondent_name" value="Max Keller"' in page
    assert 'name="respondent_badge" value="B-42"' in page
    assert not Decision.objects.exists()
    # Sent again as shown, it is proposed with that identity.
    again = client.post(url, {**_BAN, "respondent_name": "Max Keller", "respondent_badge": "B-42"})
    assert again.status_code == 302
    assert Decision.objects.filter(case=case, consequence="ban").exists()


def test_the_propose_form_offers_the_recorded_respondent(cast, signed_in, case):
    respondents.record(case, by=factories.holding_key(cast.lead), name="Max Keller")
    client = signed_in(cast.lead)
    on_its_page = client.get(reverse("decisions:propose", args=[case.pk])).content.decode()
    assert 'name="respondent_name" value="Max Keller"' in on_its_page
    assert "The person recorded in this case is offered here." in on_its_page
    in_the_panel = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'name="respondent_name" value="Max Keller"' in in_the_panel


def test_a_proposal_the_service_refuses_comes_back_filled_in(cast, signed_in, case):
    propose(case, factories.holding_key(cast.lead), "written")  # one waits: no second one
    client = signed_in(cast.responder)
    response = client.post(
        reverse("decisions:propose", args=[case.pk]),
        {**_BAN, "respondent_name": "Max Keller"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    _kept(page)
    assert 'name="respondent_name" value="Max Keller"' in page
    assert 'class="error-summary"' in page
    assert Decision.objects.filter(case=case).count() == 1


def test_an_appeal_or_review_with_mistakes_comes_back_filled_in(keyed, signed_in, case):
    decision = propose(case, keyed.lead, "no_action")
    make_final(decision, keyed.lead)
    client = signed_in(keyed.lead)
    appeal_url = reverse("decisions:appeal", args=[case.pk])
    empty = client.post(appeal_url, {"decision": decision.pk, "grounds": "   "})
    assert empty.status_code == 400
    assert 'href="#id_grounds"' in empty.content.decode()
    assert client.post(appeal_url, {"decision": decision.pk, "grounds": "FIRST"}).status_code == 302
    twice = client.post(appeal_url, {"decision": decision.pk, "grounds": "KEEP-GROUNDS"})
    assert twice.status_code == 400
    page = twice.content.decode()
    assert "KEEP-GROUNDS" in page
    assert "already been appealed" in page
    assert f'name="decision" value="{decision.pk}"' in page

    client = signed_in(keyed.responder)  # took no part in the decision
    review = client.post(
        reverse("decisions:review", args=[case.pk]),
        {"decision": decision.pk, "reasoning": "KEEP-REVIEW: it was fair"},
    )
    assert review.status_code == 400
    page = review.content.decode()
    assert "KEEP-REVIEW: it was fair" in page
    assert 'href="#id_outcome_0"' in page


def _panel(case, user):
    request = RequestFactory().get(f"/staff/cases/{case.pk}/")
    request.user = factories.holding_key(user)
    return Template("{% load decisions %}{% decision_panel %}").render(
        RequestContext(request, {"case": case})
    )


def test_the_panel_shows_who_proposed_and_approved_and_the_actions_allowed(keyed, case):
    decision = propose(case, keyed.responder, "written")
    decide.approve(decision, by=keyed.lead2)
    as_lead = _panel(case, keyed.lead)
    assert "Rita Responder" in as_lead  # proposer
    assert "Lou Second (incident lead)" in as_lead  # approver
    assert f"{CANARY} reasoning" in as_lead
    assert reverse("decisions:make_final", args=[case.pk]) in as_lead
    assert reverse("decisions:approve", args=[case.pk]) in as_lead
    as_proposer = _panel(case, keyed.responder)
    assert reverse("decisions:approve", args=[case.pk]) not in as_proposer
    # The rule is met: the proposer, on the team, may make it final too.
    assert reverse("decisions:make_final", args=[case.pk]) in as_proposer
    assert reverse("decisions:withdraw", args=[case.pk]) in as_proposer


def test_the_panel_renders_nothing_for_people_who_may_not_see_the_case(keyed, recused_case):
    propose(recused_case, keyed.lead, "written")
    for person in (keyed.lead2, keyed.responder_off, keyed.desk, keyed.admin, keyed.outsider):
        assert _panel(recused_case, person).strip() == ""


def test_the_panel_offers_a_proposal_form_on_an_acknowledged_case(keyed, case):
    page = _panel(case, keyed.responder)
    assert reverse("decisions:propose", args=[case.pk]) in page
    assert 'for="decision_reasoning"' in page


def test_the_panel_shows_the_appeal_and_who_may_review_it(keyed, case):
    decision = propose(case, keyed.lead, "no_action")
    make_final(decision, keyed.lead)
    page = _panel(case, keyed.lead)
    assert reverse("decisions:appeal", args=[case.pk]) in page
    from ombud.decisions.services import appeals  # noqa: PLC0415

    decision.refresh_from_db()
    appeals.record(decision, f"{CANARY} grounds", by=keyed.lead)
    as_lead = _panel(case, keyed.lead)
    assert f"{CANARY} grounds" in as_lead
    assert reverse("decisions:review", args=[case.pk]) not in as_lead  # lead decided it
    as_other = _panel(case, keyed.responder)
    assert reverse("decisions:review", args=[case.pk]) in as_other


# --- the event's rules -------------------------------------------------------------


def test_organiser_admins_set_the_rules(cast, signed_in):
    client = signed_in(cast.admin)
    url = reverse("decisions:rules", args=[cast.event.slug])
    assert client.get(url).status_code == 200
    data = {f"{c}_approvals": "0" for c in ("no_action", "verbal", "written", "removal", "ban")}
    data.update({"verbal_approvals": "1", "verbal_lead": "on", "ban_approvals": "3"})
    response = client.post(url, data)
    assert response.status_code == 302
    verbal = ApprovalRule.objects.get(event=cast.event, consequence="verbal")
    assert (verbal.approvals, verbal.lead_required) == (1, True)
    assert ApprovalRule.objects.get(event=cast.event, consequence="ban").approvals == 3


@pytest.mark.parametrize("who", ["lead", "responder", "desk", "staff", "outsider"])
def test_nobody_else_sees_the_rules_page(cast, signed_in, who):
    client = signed_in(getattr(cast, who))
    url = reverse("decisions:rules", args=[cast.event.slug])
    assert client.get(url).status_code == 404
    assert client.post(url, {"ban_approvals": "0"}).status_code == 404
    assert not ApprovalRule.objects.exists()


# --- the registration desk ---------------------------------------------------------


@pytest.fixture
def banned(keyed, case):
    decision = propose(
        case,
        keyed.lead,
        "ban",
        ban_until=timezone.localdate() + timedelta(days=400),
        identity={"name": "Mallory Quux", "badge": "M-4242", "email": ""},
    )
    decide.approve(decision, by=keyed.lead2)
    decide.approve(decision, by=keyed.responder)
    make_final(decision, keyed.lead)
    return case


def _answer(response) -> str | None:
    found = re.search(
        r'class="\w+ desk-answer" role="status">([^<]*)</p>', response.content.decode()
    )
    return found.group(1) if found else None


def _check(client, cast, who):
    return client.post(reverse("decisions:desk_check", args=[cast.event.slug]), {"who": who})


def test_the_desk_sees_only_the_two_answers(cast, signed_in, banned):
    client = signed_in(cast.desk)
    hit, miss, badge = (
        _check(client, cast, typed) for typed in ("mallory  QUUX", "Alice Example", "m4242")
    )
    assert [_answer(r) for r in (hit, miss, badge)] == [
        "Ask an incident lead",
        "No match",
        "Ask an incident lead",
    ]
    hit, badge = hit.content.decode(), badge.content.decode()
    until = (timezone.localdate() + timedelta(days=400)).strftime("%Y")
    for page in (hit, badge):
        assert banned.code_name not in page
        assert CANARY not in page
        assert until not in page
        assert "Ban from future events" not in page
    assert Entry.objects.filter(action="banlist.checked").count() == 3


def test_expired_bans_do_not_match_at_the_desk(cast, signed_in, banned):
    BanEntry.objects.update(expires_on=timezone.localdate() - timedelta(days=1))
    assert _answer(_check(signed_in(cast.desk), cast, "Mallory Quux")) == "No match"


def test_leads_may_check_too(cast, signed_in, banned):
    assert _answer(_check(signed_in(cast.lead), cast, "Mallory Quux")) == "Ask an incident lead"


@pytest.mark.parametrize("who", ["responder", "staff", "admin", "outsider", "unacked"])
def test_nobody_else_may_check_the_ban_list(cast, signed_in, banned, who):
    client = signed_in(getattr(cast, who))
    url = reverse("decisions:desk_check", args=[cast.event.slug])
    assert client.get(url).status_code == 404
    assert _check(client, cast, "Mallory Quux").status_code == 404
    assert not Entry.objects.filter(action="banlist.checked").exists()


def test_the_desk_check_is_throttled(cast, signed_in, banned, settings):
    settings.RATE_LIMITS = True
    allowed, _window = ratelimit.LIMITS[banlist.DESK_SCOPE]
    client = signed_in(cast.desk)
    for _ in range(allowed):
        assert _check(client, cast, "Alice Example").status_code == 200
    response = _check(client, cast, "Mallory Quux")
    assert response.status_code == 429
    assert "Wait a few minutes" in response.content.decode()
    assert _answer(response) is None
    assert Entry.objects.filter(action="banlist.checked").count() == allowed
