"""The team around a case: conflict of interest, ownership, safety steps, interim
actions and the closing message - each transition and who may take it."""

import re

import pytest
from django.db import connection

from ombud.accounts.models import ApiToken
from ombud.cases import rules
from ombud.cases.models import Case, Declaration, Message, SafetyStep, Status
from ombud.cases.services import team, work
from ombud.notify.models import OutboxMessage
from ombud.staff.models import Role
from ombud.vault import people
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cast):
    return factories.file_report(cast.event, what_happened="TEAMCANARY at the bar").report.case


def _page(client, case):
    return client.get(f"/staff/cases/{case.pk}/")


def _post(client, case, **data):
    return client.post(f"/staff/cases/{case.pk}/", data)


def _key(person):
    return factories.holding_key(person)


def test_declaring_a_conflict_recuses_at_once_and_the_case_disappears(client, cast, case):
    factories.sign_in(client, cast.responder)
    first = _page(client, case).content.decode()
    assert "Before you open this case" in first
    assert "TEAMCANARY" not in first
    response = _post(client, case, action="declare", choice="conflict")
    assert response["Location"] == "/staff/"
    assert _page(client, case).status_code == 404
    assert "responder" in factories.recused(case)
    assert not Declaration.objects.filter(case=case, user=cast.responder).exists()


def test_self_recusal_at_any_time_gives_up_ownership(client, cast, case):
    team.declare_no_conflict(case, by=cast.lead)
    team.assign_owner(case, cast.lead, by=_key(cast.lead))
    factories.sign_in(client, cast.lead)
    assert _post(client, case, action="recuse")["Location"] == "/staff/"
    case.refresh_from_db()
    assert case.owner is None
    assert _page(client, case).status_code == 404


def test_a_responder_takes_an_unowned_case_but_not_someone_elses(cast, case):
    team.assign_owner(case, cast.responder, by=_key(cast.responder))
    assert Case.objects.get(pk=case.pk).owner == cast.responder
    with pytest.raises(work.CaseActionError, match="Only an incident lead"):
        team.assign_owner(case, cast.responder_off, by=_key(cast.responder_off))
    # A lead reassigns, and can add helpers; the owner can too, a bystander cannot.
    team.assign_owner(case, cast.responder_off, by=_key(cast.lead))
    assert Case.objects.get(pk=case.pk).owner == cast.responder_off
    team.add_helper(case, cast.responder, by=_key(cast.responder_off))
    with pytest.raises(work.CaseActionError, match="owner or an incident lead"):
        team.add_helper(case, cast.lead, by=_key(cast.responder))
    assert list(case.helpers.all()) == [cast.responder]


def test_nobody_recused_or_off_the_team_can_be_given_the_case(cast):
    case = factories.file_report(cast.event, who="Lou Second").report.case
    for person in (cast.lead2, cast.staff, cast.outsider, cast.unacked):
        with pytest.raises(work.CaseActionError, match="cannot work on this case"):
            team.assign_owner(case, person, by=_key(cast.lead))
    assert Case.objects.get(pk=case.pk).owner is None


def test_the_case_of_someone_who_left_is_flagged_and_can_be_taken_over(client, cast, case):
    team.assign_owner(case, cast.responder_off, by=_key(cast.lead))
    cast.memberships["responder_off"].delete()
    case.refresh_from_db()
    assert rules.owner_left(case)
    team.assign_owner(case, cast.responder, by=_key(cast.responder))  # not a lead: allowed
    assert Case.objects.get(pk=case.pk).owner == cast.responder


def test_security_or_police_only_when_asked_or_with_a_present_danger_reason(client, cast, case):
    factories.declared(case, cast.lead)
    factories.sign_in(client, cast.lead)
    refused = _post(client, case, action="safety", step="law_enforcement")
    assert refused.status_code == 400
    assert "did not ask for security or the police" in refused.content.decode()
    assert not SafetyStep.objects.exists()

    assert _post(client, case, action="safety", step="escort_offered").status_code == 302
    reason = "DANGERCANARY he came back with a knife"
    done = _post(client, case, action="safety", step="security_informed", reason=reason)
    assert done.status_code == 302
    step = SafetyStep.objects.get(kind="security_informed")
    assert step.override
    assert b"DANGERCANARY" not in bytes(step.sealed_reason)
    page = _page(client, case).content.decode()
    assert "present danger, against the reporter&#x27;s choice" in page
    assert reason in page


def test_a_referral_the_reporter_asked_for_needs_no_reason(cast):
    case = factories.file_report(cast.event, law_enforcement="yes").report.case
    step = team.record_safety_step(case, "law_enforcement", by=_key(cast.responder))
    assert not step.override
    with pytest.raises(work.CaseActionError, match="response team"):
        team.record_safety_step(case, "escort_offered", by=_key(cast.staff))


def test_an_interim_action_is_reviewed_by_someone_else(cast, case):
    factories.declared(case, cast.responder, cast.lead)
    action = team.record_interim_action(
        case, "Asked him to leave the talk.", by=_key(cast.responder)
    )
    assert list(team.interim_actions_awaiting_review(Case.objects.all())) == [action]
    with pytest.raises(work.CaseActionError, match="Someone else"):
        team.review_interim_action(case, action.pk, by=_key(cast.responder))
    team.review_interim_action(case, action.pk, by=_key(cast.lead))
    action.refresh_from_db()
    assert action.reviewed_by == cast.lead
    assert not team.interim_actions_awaiting_review(Case.objects.all()).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM cases_interimaction")
        assert b"leave the talk" not in bytes(cursor.fetchone()[0])


def test_a_reachable_reporter_gets_a_closing_message_before_the_case_closes(client, cast):
    submission = factories.file_report(
        cast.event, what_happened="It happened.", contact="Reach me: sam@example.net"
    )
    case = factories.declared(submission.report.case, cast.lead)
    work.acknowledge(case, by=_key(cast.lead), expected_version=case.version)
    case.refresh_from_db()
    factories.sign_in(client, cast.lead)
    refused = _post(client, case, action="status", status="closed", version=case.version)
    assert refused.status_code == 400
    assert "write them a closing message" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.ACKNOWLEDGED

    closing = "CLOSINGCANARY: he was asked to leave and will not be back."
    done = _post(
        client, case, action="status", status="closed", version=case.version, message=closing
    )
    assert done.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    followup = client.post("/receipt/", {"receipt": submission.receipt}).content.decode()
    assert closing in followup
    # The reporter's address gets a content-free notice; the message waits behind the receipt.
    notice = OutboxMessage.objects.get(kind=OutboxMessage.Kind.REPORTER_MESSAGE)
    assert notice.address == "sam@example.net"
    assert notice.recipient is None
    assert "CLOSINGCANARY" not in str(notice.context)


def test_an_unreachable_reporter_does_not_hold_up_closing(cast, case):
    lead = _key(cast.lead)
    work.acknowledge(case, by=lead, expected_version=case.version)
    case.refresh_from_db()
    work.change_status(case, Status.CLOSED, by=lead, expected_version=case.version)
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    assert not Message.objects.exists()


def test_every_team_action_is_also_in_the_api(client, cast, case):
    _row, token = ApiToken.issue(cast.lead, people.unlock(cast.lead, factories.PASSWORD))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    base = f"/api/v1/cases/{case.pk}"

    def post(path, body=None):
        return client.post(base + path, body or {}, content_type="application/json", **auth)

    assert post("/declaration").json()["code_name"] == case.code_name
    assert post("/owner", {"username": "lead"}).json()["owner"] == "lead"
    assert post("/helpers", {"username": "responder"}).json()["helpers"] == ["responder"]
    assert post("/safety-steps", {"step": "escort_offered"}).status_code == 201
    refused = post("/safety-steps", {"step": "security_informed"})
    assert refused.status_code == 409
    assert "did not ask" in refused.json()["detail"]
    assert post("/helpers", {"username": "nobody-at-all"}).status_code == 409
    factories.declared(case, cast.responder)
    action = team.record_interim_action(case, "Asked to leave.", by=_key(cast.responder))
    reviewed = post(f"/interim-actions/{action.pk}/review").json()
    assert reviewed["interim_actions"][0]["reviewed_by"] == "lead"
    assert post("/recusal").json() == {"detail": "You are recused from this case."}
    assert client.get(base, **auth).status_code == 404


def test_a_witness_account_is_recorded_sealed_with_who_recorded_it(client, cast, case):
    factories.declared(case, cast.responder)
    factories.sign_in(client, cast.responder)
    said = "WITNESSCANARY I saw him follow her out."
    response = _post(
        client, case, action="account", given_by="witness", person="Tall, green scarf", text=said
    )
    assert response.status_code == 302
    page = _page(client, case).content.decode()
    assert said in page
    assert "A witness (<bdi>Tall, green scarf</bdi>)" in page
    assert "recorded by <bdi>Rita Responder</bdi>" in page
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM cases_account")
        assert b"WITNESSCANARY" not in bytes(cursor.fetchone()[0])
    refused = _post(client, case, action="account", given_by="nobody", text="x")
    assert refused.status_code == 400


def test_a_duplicate_is_linked_both_ways_and_its_report_shown_to_who_may_read_it(client, cast):
    first = factories.file_report(cast.event, what_happened="FIRSTCANARY").report.case
    second = factories.file_report(cast.event, what_happened="SECONDCANARY").report.case
    factories.declared(first, cast.lead)
    factories.sign_in(client, cast.lead)
    done = _post(client, first, action="link", code_name=second.code_name, kind="duplicate")
    assert done.status_code == 302
    page = _page(client, first).content.decode()
    assert second.code_name in page
    # Its report only once they declared no conflict of interest in that case too.
    assert "SECONDCANARY" not in page
    assert "declare no conflict of interest there to read it" in page
    factories.declared(second, cast.lead)
    page = _page(client, first).content.decode()
    assert "SECONDCANARY" in page  # the duplicate's report, nothing lost or moved
    assert second.reports.count() == 1
    assert first.links.get().other == second
    assert second.links.get().other == first
    again = _post(client, first, action="link", code_name=second.code_name, kind="related")
    assert "already linked" in again.content.decode()
    itself = _post(client, first, action="link", code_name=first.code_name, kind="related")
    assert "cannot be linked to itself" in itself.content.decode()


def test_a_linked_case_someone_is_recused_from_is_never_named_to_them(cast):
    mine = factories.file_report(cast.event, what_happened="MINE").report.case
    theirs = factories.file_report(cast.event, who="Rita Responder").report.case
    from ombud.cases.services import links  # noqa: PLC0415

    links.link(mine, theirs.code_name, "duplicate", by=_key(cast.lead))
    # Not even that a duplicate exists: it might be the report they are kept from.
    assert links.linked_for(mine, _key(cast.responder)) == []
    with pytest.raises(work.CaseActionError, match="No case of this event"):
        links.link(mine, theirs.code_name, "related", by=_key(cast.responder))


def test_a_repeat_respondent_is_recognised_without_revealing_cases_one_may_not_open(client, cast):
    from ombud.cases.services import respondents  # noqa: PLC0415

    lead = _key(cast.lead)
    earlier = factories.file_report(cast.event).report.case
    recused = factories.file_report(cast.event, who="Lena Lead").report.case  # lead recused
    # Another event of the organisation, whose staff the lead is not on.
    elsewhere_event = factories.event("elsewhere", org=cast.event.organisation)
    factories.member(elsewhere_event, cast.lead2, Role.LEAD)
    elsewhere = factories.file_report(elsewhere_event).report.case
    now = factories.file_report(cast.event).report.case
    factories.declared(earlier, cast.lead)
    factories.declared(now, cast.lead)
    factories.declared(recused, cast.lead2)
    factories.declared(elsewhere, cast.lead2)
    respondents.record(earlier, by=lead, name="José  Ávila", badge="b-77")
    respondents.record(recused, by=_key(cast.lead2), badge="B77")
    respondents.record(elsewhere, by=_key(cast.lead2), email="jose@example.org")
    respondents.record(now, by=lead, name="jose avila")
    found = respondents.history(now, lead)
    assert found.visible == [earlier]
    assert found.hidden == 0  # "jose avila" matches by name; the others by badge or e-mail
    respondents.record(now, by=lead, badge="B 77", email="JOSE@example.org")
    found = respondents.history(now, lead)
    assert found.visible == [earlier]
    # The case the lead is kept away from is not even counted for them; the other
    # event's case is counted, not named.
    assert found.hidden == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM cases_respondent")
        assert all(b"Avila" not in bytes(row[0]) for row in cursor.fetchall())
        cursor.execute("SELECT tag FROM cases_respondenttag")
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 7
    assert all(re.fullmatch(r"[0-9a-f]{64}", tag) for tag in stored)

    factories.sign_in(client, cast.lead)
    page = _page(client, now).content.decode()
    assert "2 other reports about this person in the organisation." in page
    assert earlier.code_name in page
    assert recused.code_name not in page
    assert elsewhere.code_name not in page
    assert "1 of them you cannot open." in page


def test_the_printable_summary_is_for_leads_marked_confidential_and_audited(client, cast, case):
    from ombud.audit.models import Entry  # noqa: PLC0415

    factories.declared(case, cast.lead, cast.responder)
    factories.sign_in(client, cast.responder)
    assert client.get(f"/staff/cases/{case.pk}/summary/").status_code == 404
    factories.sign_in(client, cast.lead)
    page = client.get(f"/staff/cases/{case.pk}/summary/").content.decode()
    assert "CONFIDENTIAL" in page
    assert "TEAMCANARY" in page
    assert Entry.objects.filter(action="case.exported", object_id=str(case.pk)).count() == 1


def test_overview_and_handover_count_only_what_the_viewer_may_open(client, cast, case):
    factories.declared(case, cast.responder)
    hidden = factories.file_report(cast.event, who="Lena Lead").report.case
    team.record_interim_action(case, "Asked him to leave.", by=_key(cast.responder))
    factories.sign_in(client, cast.lead)
    page = client.get(f"/staff/events/{cast.event.slug}/overview/").content.decode()
    assert "<dt>Open</dt><dd>1</dd>" in page
    assert hidden.code_name not in page
    factories.sign_in(client, cast.responder)
    assert client.get(f"/staff/events/{cast.event.slug}/overview/").status_code == 404
    handover = client.get(f"/staff/events/{cast.event.slug}/handover/?hours=x").content.decode()
    assert case.code_name in handover
    assert "Interim action taken" in handover
    assert "TEAMCANARY" not in handover


def test_the_case_page_has_no_duplicate_ids_so_every_label_finds_its_field(client, cast, case):
    factories.declared(case, cast.lead)
    factories.sign_in(client, cast.lead)
    page = _page(client, case).content.decode()
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) > 20
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    for target in re.findall(r'\bfor="([^"]+)"', page):
        assert target in ids


def test_events_start_with_categories_their_leads_adapt_and_cases_are_filed_under(
    client, cast, case
):
    from ombud.cases.models import Category  # noqa: PLC0415

    names = list(cast.event.categories.values_list("name", flat=True))
    assert names[0] == "Harassment"
    assert "Other" in names
    harassment = cast.event.categories.get(name="Harassment")
    factories.declared(case, cast.lead)
    factories.sign_in(client, cast.lead)
    seen = case.version
    done = _post(client, case, action="categories", categories=[str(harassment.pk)], version=seen)
    assert done.status_code == 302
    assert list(case.categories.all()) == [harassment]
    foreign = cast.other_event.categories.first()
    case.refresh_from_db()
    refused = _post(
        client, case, action="categories", categories=[str(foreign.pk)], version=case.version
    )
    assert "Choose among this event" in refused.content.decode()
    # A second person on the page as it was before the first save: refused, nothing lost.
    other = cast.event.categories.get(name="Other")
    stale = _post(client, case, action="categories", categories=[str(other.pk)], version=seen)
    assert "Someone else changed this case meanwhile" in stale.content.decode()
    assert list(case.categories.all()) == [harassment]

    page = f"/staff/manage/events/{cast.event.slug}/categories/"
    saved = client.post(page, {"names": "Unwanted contact\nOther"}, follow=True)
    assert "Kept because cases have them: Harassment" in saved.content.decode()
    assert list(Category.objects.filter(event=cast.event).values_list("name", flat=True)) == [
        "Unwanted contact",
        "Other",
        "Harassment",
    ]
    overview = client.get(f"/staff/events/{cast.event.slug}/overview/").content.decode()
    assert "<td>Harassment</td><td>1</td><td>1</td>" in overview
    factories.sign_in(client, cast.responder)
    assert client.get(page).status_code == 404


def test_two_leads_assigning_at_once_do_not_overwrite_each_other(client, cast, case):
    seen = case.version
    factories.declared(case, cast.lead, cast.lead2)
    factories.sign_in(client, cast.lead)
    first = _post(client, case, action="owner", person=str(cast.responder.pk), version=seen)
    assert first.status_code == 302
    factories.sign_in(client, cast.lead2)
    second = _post(client, case, action="owner", person=str(cast.lead2.pk), version=seen)
    assert second.status_code == 400
    assert "Someone else changed this case meanwhile" in second.content.decode()
    assert Case.objects.get(pk=case.pk).owner == cast.responder


def test_a_linked_case_is_named_in_timelines_only_to_who_may_see_it(client, cast):
    """The timeline of a case says it was linked, with the other case's code name, only
    to someone who may see that case: on the case page, the hand-over and the API."""
    from ombud.cases.services import links  # noqa: PLC0415

    mine = factories.file_report(cast.event, what_happened="MINE").report.case
    theirs = factories.file_report(cast.event, who="Rita Responder").report.case
    factories.declared(mine, cast.lead, cast.responder)
    links.link(mine, theirs.code_name, "related", by=_key(cast.lead))
    factories.sign_in(client, cast.lead)
    assert f"Linked to {theirs.code_name}" in _page(client, mine).content.decode()
    factories.sign_in(client, cast.responder)  # named in the other case: recused from it
    page = _page(client, mine).content.decode()
    # Neither its name nor that it exists: it might be the report kept from them.
    assert "Linked to" not in page
    assert theirs.code_name not in page
    handover = client.get(f"/staff/events/{cast.event.slug}/handover/").content.decode()
    assert "Linked to" not in handover
    assert theirs.code_name not in handover
    _row, token = ApiToken.issue(cast.responder, people.unlock(cast.responder, factories.PASSWORD))
    api = client.get(f"/api/v1/cases/{mine.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert not [e for e in api.json()["timeline"] if e["kind"] == "linked"]
    assert api.json()["links"] == []
    assert theirs.code_name not in api.content.decode()
    assert str(theirs.pk) not in api.content.decode()
