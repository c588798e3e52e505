"""Who a badge, name or address typed by staff is on the event's lists, and which listed
people match an active ban-list entry (for the event's incident leads only)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ombud.attendees import queries
from ombud.attendees.models import PeopleList, PersonTag
from ombud.attendees.services import store
from ombud.audit import services as audit
from ombud.decisions.models import BanIdentifier
from ombud.decisions.services import banlist

LIMIT = 10


def _opened(people) -> list[store.Listed]:
    lists = {}
    found = []
    for person in people:
        people_list = lists.get(person.people_list_id)
        if people_list is None:
            people_list = lists[person.people_list_id] = PeopleList.objects.get(
                pk=person.people_list_id
            )
        found.append(store.opened(person, people_list))
    return sorted(found, key=lambda listed: (listed.kind, listed.name.casefold(), listed.badge))


def resolve(event, *, name="", badge="", email="", limit=LIMIT) -> list[store.Listed]:
    """The listed people with any of these identifiers (normalised, as the ban list does)."""
    tags = banlist.identifiers(event.organisation_id, name=name, badge=badge, email=email)
    return _opened(queries.people_with(event, tags)[:limit])


def for_respondents(event, respondents) -> list[tuple]:
    """For the case page: (respondent, identity, listed people) for each of the case's
    ``respondents`` - (respondent, opened identity) pairs as ``cases`` opens them."""
    respondents = list(respondents)
    if not respondents or not PeopleList.objects.filter(event=event).exists():
        return [(respondent, who, []) for respondent, who in respondents]
    return [
        (
            respondent,
            who,
            resolve(
                event,
                name=who.get("name", ""),
                badge=who.get("badge", ""),
                email=who.get("email", ""),
            ),
        )
        for respondent, who in respondents
    ]


@dataclass(frozen=True)
class BanMatch:
    person: store.Listed
    kinds: tuple  # which identifiers matched: name, badge, email
    permanent: bool
    expires_on: object  # the latest expiry among the matching entries


def ban_matches(event, *, by, today=None) -> list[BanMatch]:
    """Listed people of the event whose name, badge or address hashes to an active
    ban-list entry's (same organisation, same key). Audited: who looked, at which event."""
    today = today or timezone.localdate(timezone=event.zone)
    identifiers = BanIdentifier.objects.filter(
        entry__in=banlist.active_entries(event.organisation_id, today)
    ).values_list("digest", "entry__expires_on")
    expiries = {}
    for digest, expires_on in identifiers:
        expiries.setdefault(digest, []).append(expires_on)
    hits = {}
    for person_id, kind, digest in PersonTag.objects.filter(
        event=event, digest__in=list(expiries)
    ).values_list("person_id", "kind", "digest"):
        hits.setdefault(person_id, []).append((kind, expiries[digest]))
    people = {listed.id: listed for listed in _opened(queries.people_with_ids(hits))}
    with transaction.atomic():
        audit.record(by, "attendees.ban_matches_viewed", event, event_id=event.pk)
    matches = []
    for person_id, found in hits.items():
        dates = [date for _kind, dates in found for date in dates]
        permanent = any(date is None for date in dates)
        matches.append(
            BanMatch(
                person=people[person_id],
                kinds=tuple(sorted({kind for kind, _dates in found})),
                permanent=permanent,
                expires_on=None if permanent else max(dates),
            )
        )
    return sorted(matches, key=lambda m: (m.person.kind, m.person.name.casefold()))
