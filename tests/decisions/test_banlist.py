"""The ban list holds keyed hashes of normalised identifiers, and nothing that names anyone."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from ombud.decisions.models import BanEntry, BanIdentifier
from ombud.decisions.services import banlist, decide
from ombud.vault import identity
from tests import factories
from tests.decisions.conftest import make_final, propose

pytestmark = pytest.mark.django_db

NAME = "Zbigniew Ĺeśniewski-Quorn"


def _ban(cast, case, **extra):
    extra.setdefault("identity", {"name": NAME, "badge": "q-90210", "email": "ZQ@Example.ORG"})
    decision = propose(case, cast.lead, "ban", **extra)
    decide.approve(decision, by=cast.lead2)
    decide.approve(decision, by=cast.responder)
    make_final(decision, cast.lead)
    return decision


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  JOSÉ \t Ávila ", "jose avila"),
        ("ﬁona straße", "fiona strasse"),
        ("Zoë\u00a0Smith", "zoe smith"),
    ],
)
def test_names_are_normalised(typed, stored):
    assert identity.normalise_name(typed) == stored


def test_badges_keep_only_letters_and_digits_in_upper_case():
    assert identity.normalise_badge(" b-77 / x ") == "B77X"
    assert identity.normalise_email("  Zq@Example.ORG ") == "zq@example.org"


def test_digests_are_keyed_and_per_organisation():
    one = banlist.digest(1, "name", "jose avila")
    assert one != hashlib.sha256(b"jose avila").hexdigest()
    assert one != banlist.digest(2, "name", "jose avila")
    assert one != banlist.digest(1, "badge", "jose avila")
    assert len(one) == 64


def test_a_database_dump_contains_no_respondent_identifier(keyed, case):
    _ban(keyed, case)
    assert BanIdentifier.objects.count() == 3
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    text = dump.getvalue().casefold()
    for needle in ("zbigniew", "leśniewski", "lesniewski", "quorn", "90210", "zq@example"):
        assert needle not in text


def test_the_desk_finds_a_ban_by_any_spelling_of_name_badge_or_address(keyed, case):
    _ban(keyed, case)
    for typed in (
        "zbigniew  LEŚNIEWSKI-quorn",
        "Zbigniew Lesniewski-Quorn",
        "Q90210",
        "q-90210",
        "zq@example.org",
    ):
        assert banlist.is_banned(keyed.event, typed), typed
    for typed in ("Zbigniew", "Q9021", "someone else", "", "zq@example.com"):
        assert not banlist.is_banned(keyed.event, typed), typed


def test_a_ban_covers_every_event_of_the_organisation_and_no_other(keyed, case):
    _ban(keyed, case)
    sibling = factories.event("conf-next", org=keyed.event.organisation)
    assert banlist.is_banned(sibling, NAME)
    assert not banlist.is_banned(keyed.other_event, NAME)


def test_an_expired_ban_does_not_match(keyed, case):
    until = timezone.localdate() + timedelta(days=30)
    _ban(keyed, case, ban_until=until)
    assert banlist.is_banned(keyed.event, NAME, today=until)
    assert not banlist.is_banned(keyed.event, NAME, today=until + timedelta(days=1))
    BanEntry.objects.update(expires_on=timezone.localdate() - timedelta(days=1))
    assert not banlist.is_banned(keyed.event, NAME)


def test_a_lifted_ban_does_not_match(keyed, case):
    _ban(keyed, case)
    BanEntry.objects.update(lifted_at=timezone.now())
    assert not banlist.is_banned(keyed.event, NAME)


def test_the_desk_check_answers_and_is_audited_without_whom_it_was_about(keyed, case):
    from ombud.audit.models import Entry  # noqa: PLC0415

    _ban(keyed, case)
    assert banlist.desk_check(keyed.event, "Q90210", by=keyed.desk)
    assert not banlist.desk_check(keyed.event, "someone else", by=keyed.desk)
    checks = Entry.objects.filter(action="banlist.checked")
    assert [(e.actor_id, e.object_type, e.object_id) for e in checks] == [
        (str(keyed.desk.pk), "event", str(keyed.event.pk))
    ] * 2
