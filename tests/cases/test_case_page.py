"""The case page on a phone: status, next step and report first, each tool folded
in its own section; a form with errors, or one a service refuses, comes back open
with everything typed; the section just used stays open."""

import re

import pytest

from ombud.cases.models import CaseLink, Note
from ombud.cases.services import work
from tests import factories

pytestmark = pytest.mark.django_db

LONG = "PASTED-" + "x" * work.TEXT_LIMIT  # one more than a note may hold, all of it kept


@pytest.fixture
def case(cast):
    case = factories.file_report(cast.event, what_happened="PAGECANARY in the hall").report.case
    return factories.declared(case, cast.lead, cast.responder)


def _page(client, case, **data):
    url = f"/staff/cases/{case.pk}/"
    return client.post(url, data) if data else client.get(url)


def _open_sections(html: str) -> set[str]:
    return set(re.findall(r'<details id="([a-z]+)" open>', html))


def test_status_and_report_come_first_and_the_tools_are_folded(client, cast, case):
    factories.sign_in(client, cast.responder)
    html = _page(client, case).content.decode()
    status, report, notes = (
        html.index('id="actions-heading"'),
        html.index("PAGECANARY"),
        html.index('id="notes-heading"'),
    )
    assert status < report < notes
    assert "Acknowledge" in html[status:report]
    # Folded: everything but the conversation, where the next step is (nobody wrote yet).
    assert _open_sections(html) == {"messages"}
    for section in ("notes", "safety", "team", "accounts", "links", "interim", "timeline"):
        assert f'<details id="{section}"' in html, section


def test_a_note_too_long_comes_back_whole_in_its_open_section(client, cast, case):
    factories.sign_in(client, cast.responder)
    response = _page(client, case, action="note", text=LONG)
    assert response.status_code == 400
    html = response.content.decode()
    assert LONG in html  # nothing cut
    assert "notes" in _open_sections(html)
    assert 'class="error-summary"' in html
    assert 'href="#note_text"' in html
    assert not Note.objects.filter(case=case).exists()


def test_a_refused_action_shows_its_reason_and_keeps_what_was_typed(client, cast, case):
    factories.sign_in(client, cast.responder)
    response = _page(client, case, action="link", code_name="no-such-case", kind="related")
    assert response.status_code == 400
    html = response.content.decode()
    assert "links" in _open_sections(html)
    assert 'value="no-such-case"' in html
    assert "No case of this event" in html
    assert not CaseLink.objects.exists()


def test_the_section_just_used_stays_open_after_the_redirect(client, cast, case):
    factories.sign_in(client, cast.responder)
    done = _page(client, case, action="note", text="PAGE-NOTE: she is safe.")
    assert done.status_code == 302
    html = client.get(done["Location"]).content.decode()
    assert "Note added." in html
    assert "notes" in _open_sections(html)
    assert "PAGE-NOTE: she is safe." in html
    # Only once: the next visit folds it again.
    assert "notes" not in _open_sections(_page(client, case).content.decode())


def test_a_reporter_waiting_for_an_answer_is_the_next_step(client, cast, case):
    work.message_reporter(case, "We are on it.", by=factories.holding_key(cast.lead))
    factories.sign_in(client, cast.responder)
    html = _page(client, case).content.decode()
    assert "messages" not in _open_sections(html)  # answered
    case.messages.update(direction="from_reporter")
    html = _page(client, case).content.decode()
    assert "waiting for an answer" in html
    assert "messages" in _open_sections(html)


def test_text_areas_show_their_limit_and_what_people_wrote_keeps_its_direction(client, cast, case):
    factories.sign_in(client, cast.responder)
    html = _page(client, case).content.decode()
    assert "maxlength" not in html  # a paste is never cut short silently
    assert "Up to 20,000 characters." in html
    assert re.search(r'<textarea name="text"[^>]* dir="auto"', html)
    assert '<dd dir="auto">PAGECANARY in the hall</dd>' in html
