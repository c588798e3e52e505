import pytest

from ombud.audit.models import Entry
from ombud.cases.models import Note, Status, TimelineEntry
from ombud.cases.services import work
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cast):
    """A case the team has said it has no conflict of interest in."""
    case = factories.file_report(cast.event, what_happened="x").report.case
    return factories.declared(case, cast.lead, cast.lead2, cast.responder, cast.responder_off)


def _step(case, to, by):
    case.refresh_from_db()
    return work.change_status(case, to, by=by, expected_version=case.version)


def test_a_lead_walks_a_case_through_every_status_and_reopens_it(cast, case):
    for status in ("acknowledged", "investigating", "decided", "closed", "investigating"):
        _step(case, status, cast.lead)
    changes = [
        (e.detail["from"], e.detail["to"], e.actor)
        for e in TimelineEntry.objects.filter(case=case, kind="status_changed")
    ]
    assert changes == [
        ("new", "acknowledged", cast.lead),
        ("acknowledged", "investigating", cast.lead),
        ("investigating", "decided", cast.lead),
        ("decided", "closed", cast.lead),
        ("closed", "investigating", cast.lead),
    ]
    assert Entry.objects.filter(action="case.status_changed").count() == 5


@pytest.mark.parametrize(
    ("start", "target"),
    [("new", "closed"), ("new", "investigating"), ("closed", "decided"), ("decided", "new")],
)
def test_impossible_transitions_are_refused(cast, case, start, target):
    case.status = start
    case.save(update_fields=["status"])
    with pytest.raises(work.CaseActionError, match="cannot go from"):
        _step(case, target, cast.lead)
    case.refresh_from_db()
    assert case.status == start


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("new", "acknowledged", True),
        ("acknowledged", "investigating", True),
        ("investigating", "decided", False),
        ("decided", "closed", False),
        ("closed", "investigating", False),
    ],
)
def test_responders_acknowledge_and_investigate_leads_decide_close_and_reopen(
    cast, case, start, target, allowed
):
    case.status = start
    case.save(update_fields=["status"])
    if allowed:
        _step(case, target, cast.responder)
    else:
        with pytest.raises(work.CaseActionError, match="Only an incident lead"):
            _step(case, target, cast.responder)
        _step(case, target, cast.lead)


def test_two_people_acting_on_the_same_version_cannot_overwrite_each_other(cast, case):
    seen = case.version
    work.change_status(case, "acknowledged", by=cast.lead, expected_version=seen)
    stale = type(case).objects.get(pk=case.pk)
    stale.status = "acknowledged"
    with pytest.raises(work.StaleCase):
        work.change_status(stale, "investigating", by=cast.responder, expected_version=seen)
    case.refresh_from_db()
    assert case.status == Status.ACKNOWLEDGED


def test_notes_are_sealed_and_audited(cast, case):
    note = work.add_note(
        case, "Spoke to venue security NOTE-SENTINEL", by=factories.holding_key(cast.responder)
    )
    assert b"NOTE-SENTINEL" not in bytes(Note.objects.get(pk=note.pk).sealed)
    case_file = work.open_case(case, by=factories.holding_key(cast.lead))
    assert [n.text for n in case_file.notes] == ["Spoke to venue security NOTE-SENTINEL"]
    assert Entry.objects.filter(action="note.created", object_id=str(note.pk)).exists()
    assert Entry.objects.filter(action="case.read", actor_id=str(cast.lead.pk)).exists()


@pytest.mark.parametrize("text", ["", "   ", "x" * 20_001])
def test_empty_or_oversized_notes_and_messages_are_refused(cast, case, text):
    with pytest.raises(work.CaseActionError):
        work.add_note(case, text, by=factories.holding_key(cast.lead))
    with pytest.raises(work.CaseActionError):
        work.message_reporter(case, text, by=factories.holding_key(cast.lead))
    assert not case.notes.exists()
    assert not case.messages.exists()


def test_case_page_actions_redirect_and_show_errors_in_place(client, cast, case):
    factories.sign_in(client, cast.responder)
    url = f"/staff/cases/{case.pk}/"
    ok = client.post(url, {"action": "status", "status": "acknowledged", "version": case.version})
    assert ok.status_code == 302
    stale = client.post(url, {"action": "status", "status": "investigating", "version": 1})
    assert stale.status_code == 400
    assert "Someone else changed this case" in stale.content.decode()
    bad = client.post(url, {"action": "status", "status": "exploded", "version": 2})
    assert bad.status_code == 400
    unknown = client.post(url, {"action": "launch"})
    assert unknown.status_code == 302
    kept = client.post(url, {"action": "note", "text": "x" * 20_001})
    assert kept.status_code == 400
    case.refresh_from_db()
    assert case.status == Status.ACKNOWLEDGED


def test_the_case_page_shows_the_reporters_law_enforcement_choice(client, cast):
    case = factories.file_report(cast.event, law_enforcement="no").report.case
    factories.declared(case, cast.lead)
    factories.sign_in(client, cast.lead)
    html = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "does not want them involved" in html


def test_times_on_the_case_page_are_in_the_events_time_zone(client, cast, case):
    factories.declared(case, cast.lead)
    factories.sign_in(client, cast.lead)
    html = client.get(f"/staff/cases/{case.pk}/").content.decode()
    local = case.created_at.astimezone(cast.event.zone)
    assert local.strftime("%H:%M") in html
    assert case.created_at.strftime("%H:%M") not in html
