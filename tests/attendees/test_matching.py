"""What a typed badge, name or address resolves to: at the desk (still only yes or no),
on the case page (who it is, for case workers), and the leads' ban-list matches."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ombud.accounts.models import ApiToken
from ombud.attendees.services import matching
from ombud.audit.models import Entry
from ombud.cases.services import respondents
from ombud.decisions.services import banlist, decide
from ombud.vault import people
from tests import factories
from tests.attendees.conftest import CANARY, import_pretalx, import_pretix
from tests.decisions.conftest import make_final, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def banned(keyed, case, ticketing):
    """The canary attendee banned by name only; both lists imported."""
    decision = propose(
        case,
        keyed.lead,
        "ban",
        ban_until=timezone.localdate() + timedelta(days=400),
        identity={"name": CANARY.upper(), "badge": "", "email": ""},
    )
    decide.approve(decision, by=keyed.lead2)
    decide.approve(decision, by=keyed.responder)
    make_final(decision, keyed.lead)
    import_pretix(keyed.event, ticketing, keyed.lead)
    import_pretalx(keyed.event, ticketing, keyed.lead)
    return case


def test_a_badge_order_code_or_ticket_secret_resolves_to_the_person(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    for typed in ("ABC12-1", "abc12 1", "s3cr3tqx"):
        (person,) = matching.resolve(cast.event, badge=typed)
        assert (person.name, person.badge, person.email) == (CANARY, "ABC12-1", "xq@example.org")
    # The order code alone: everyone on the order.
    assert [p.name for p in matching.resolve(cast.event, badge="ABC12")] == ["Bo Brandt", CANARY]
    assert matching.resolve(cast.event, name="  xanthippe   QUILLFEATHER ")
    assert not matching.resolve(cast.event, badge="ZZZ99-1")
    # Another event's lists are not this event's.
    assert not matching.resolve(cast.other_event, badge="ABC12-1")


def test_the_desk_finds_a_ban_by_name_from_the_badge_and_learns_nothing_more(
    cast, signed_in, banned
):
    client = signed_in(cast.desk)
    url = reverse("decisions:desk_check", args=[cast.event.slug])
    answers = {}
    for typed in ("ABC12-1", "s3cr3tqx", "xq@example.org", "DEF34-1", "SPK3C"):
        page = client.post(url, {"who": typed}).content.decode()
        found = re.search(r'class="\w+ desk-answer" role="status">([^<]*)</p>', page)
        answers[typed] = found.group(1)
        assert CANARY not in page
        assert "Quillfeather" not in page
    assert answers == {
        "ABC12-1": "Ask an incident lead",
        "s3cr3tqx": "Ask an incident lead",
        "xq@example.org": "Ask an incident lead",
        "DEF34-1": "No match",  # Cyd Cole is not banned
        "SPK3C": "Ask an incident lead",  # the same person on the speaker list
    }
    assert banlist.is_banned(cast.event, "ABC12-1")
    assert not banlist.is_banned(cast.other_event, "ABC12-1")  # no list there


def test_the_case_page_shows_who_a_recorded_badge_is(cast, signed_in, case, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    respondents.record(case, by=factories.holding_key(cast.lead), badge="abc12-1")
    page = signed_in(cast.lead).get(f"/staff/cases/{case.pk}/").content.decode()
    assert f"Matches {CANARY} (Attendees, badge ABC12-1)" in page
    assert "xq@example.org" in page


def test_leads_see_which_listed_people_are_banned_and_it_is_audited(cast, signed_in, banned):
    page = signed_in(cast.lead).get(reverse("attendees:ban_matches", args=[cast.event.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count(CANARY) == 2  # as attendee and as speaker
    assert "Bo Brandt" not in text
    assert "until" in text
    entry = Entry.objects.get(action="attendees.ban_matches_viewed")
    assert entry.actor_id == str(cast.lead.pk)


@pytest.mark.parametrize("who", ["responder", "desk", "staff", "admin", "outsider", "unacked"])
def test_nobody_but_the_leads_sees_the_ban_matches(cast, signed_in, banned, who):
    response = signed_in(getattr(cast, who)).get(
        reverse("attendees:ban_matches", args=[cast.event.slug])
    )
    assert response.status_code == 404
    assert CANARY not in response.content.decode()
    assert not Entry.objects.filter(action="attendees.ban_matches_viewed").exists()


def test_ban_matches_follow_the_ban_list(cast, banned):
    (match,) = [
        m for m in matching.ban_matches(cast.event, by=cast.lead) if m.person.kind == "attendees"
    ]
    assert match.person.name == CANARY
    assert match.kinds == ("name",)
    assert match.expires_on == timezone.localdate() + timedelta(days=400)
    later = timezone.localdate() + timedelta(days=401)
    assert not matching.ban_matches(cast.event, by=cast.lead, today=later)


def test_the_api_shows_who_a_recorded_respondent_is_on_the_lists(cast, client, case, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    _row, token = ApiToken.issue(cast.lead, people.unlock(cast.lead, factories.PASSWORD))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    recorded = client.post(
        f"/api/v1/cases/{case.pk}/respondents",
        {"badge": "s3cr3tqx"},
        content_type="application/json",
        **auth,
    )
    assert recorded.status_code == 201, recorded.content
    listed = [{"kind": "attendees", "name": CANARY, "badge": "ABC12-1", "email": "xq@example.org"}]
    assert recorded.json()["listed"] == listed
    opened = client.get(f"/api/v1/cases/{case.pk}", **auth).json()
    assert opened["respondents"][0]["listed"] == listed
