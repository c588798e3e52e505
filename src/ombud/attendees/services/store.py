"""Keeping a list: each person sealed, keyed hashes beside them, the old list replaced
in one transaction; and the sources' settings, with the API token sealed.

Everything is read, decided, hashed and sealed first; the write transaction only
deletes the old list and inserts the new one, so a failure at any point leaves
the old list as it was. A person's name and e-mail are sealed under a key derived
from the server's key file (not the database): a dump lists nobody, and staff who
resolve a badge see the person because the server opens the seal for them.
"""

import json
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ombud.attendees.models import ImportSource, Kind, PeopleList, Person, PersonTag
from ombud.attendees.services.sources import Entry
from ombud.audit import services as audit
from ombud.decisions.services import banlist
from ombud.vault import crypto, identity, keys
from ombud.vault.errors import VaultError

_PERSON_PURPOSE = "attendee list"
_TOKEN_PURPOSE = "attendee list source token"
_PAD_STEP = 64
_BATCH = 1000


@dataclass(frozen=True)
class Listed:
    """A listed person as staff see them."""

    id: uuid.UUID
    kind: str
    name: str
    email: str
    badge: str

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)


def _person_context(people_list, person_id) -> bytes:
    return (
        f"ombud-attendees/1|{people_list.event_id}|{people_list.kind}|"
        f"{people_list.seal_id}|{person_id}"
    ).encode()


def _seal(key, people_list, person_id, entry: Entry) -> bytes:
    plain = json.dumps({"name": entry.name, "email": entry.email, "badge": entry.badge}).encode()
    return crypto.seal(
        key, crypto.pad(plain, step=_PAD_STEP), _person_context(people_list, person_id)
    )


def opened(person, people_list) -> Listed:
    key = keys.load().derived(_PERSON_PURPOSE)
    plain = crypto.unpad(
        crypto.open_sealed(key, bytes(person.sealed), _person_context(people_list, person.pk))
    )
    fields = json.loads(plain)
    return Listed(person.pk, people_list.kind, fields["name"], fields["email"], fields["badge"])


def _tags(organisation_id: int, entry: Entry) -> set[tuple[str, str]]:
    # Under the ban list's own key and purpose: a match with it is equal hashes.
    found = set(
        banlist.identifiers(organisation_id, name=entry.name, badge=entry.badge, email=entry.email)
    )
    for code in entry.codes:
        value = identity.normalise_badge(code)
        if value:
            found.add((identity.BADGE, banlist.digest(organisation_id, identity.BADGE, value)))
    return found


def _built(event, kind, entries, *, source, by, now):
    people_list = PeopleList(
        event=event, kind=kind, source=source, imported_at=now, imported_by=by, size=len(entries)
    )
    key = keys.load().derived(_PERSON_PURPOSE)
    people, tags = [], []
    for entry in entries:
        person_id = uuid.uuid4()
        people.append(
            Person(
                id=person_id,
                people_list=people_list,
                sealed=_seal(key, people_list, person_id, entry),
            )
        )
        tags += [
            PersonTag(person_id=person_id, event=event, kind=kind_, digest=digest)
            for kind_, digest in _tags(event.organisation_id, entry)
        ]
    return people_list, people, tags


def _token_context(source: ImportSource) -> bytes:
    # Bound to the server it is for: pointing the source elsewhere needs the token again,
    # so nobody can send the stored token to a server of their choosing.
    return (
        f"ombud-attendees-token/1|{source.event_id}|{source.kind}|{source.source}|{source.base_url}"
    ).encode()


def stored_token(source: ImportSource | None) -> str:
    """The saved API token, or "" if none (or it was saved for another address)."""
    if source is None or not source.sealed_token:
        return ""
    key = keys.load().derived(_TOKEN_PURPOSE)
    try:
        return crypto.open_sealed(key, bytes(source.sealed_token), _token_context(source)).decode()
    except VaultError:
        return ""


def source_of(event, kind) -> ImportSource | None:
    return ImportSource.objects.filter(event=event, kind=kind).first()


def configured(event, kind, source: str, *, base_url="", organizer="", remote_event="", token=""):
    """The event's source for ``kind`` with these settings (unsaved); a new token is
    sealed, an empty one keeps the saved token if it was for the same server."""
    row = source_of(event, kind) or ImportSource(event=event, kind=kind)
    # The saved token opens only for the source and address it was saved for.
    kept = stored_token(row) if row.source == source and row.base_url == base_url else ""
    row.source, row.base_url = source, base_url
    row.organizer, row.remote_event = organizer, remote_event
    token = token or kept
    row.sealed_token = (
        crypto.seal(keys.load().derived(_TOKEN_PURPOSE), token.encode(), _token_context(row))
        if token
        else None
    )
    return row


def _status(row: ImportSource, *, ok: bool, message: str, by, now) -> None:
    row.last_ok, row.last_message, row.last_attempt_at, row.last_by = ok, message[:500], now, by
    row.save()


def imported_message(kind: str, count: int) -> str:
    if kind == Kind.SPEAKERS:
        return ngettext("Imported %(n)d speaker.", "Imported %(n)d speakers.", count) % {"n": count}
    return ngettext("Imported %(n)d attendee.", "Imported %(n)d attendees.", count) % {"n": count}


def replace(
    event, entries: list[Entry], *, origin: str, sources: dict, by, now=None
) -> list[PeopleList]:
    """Replace the event's list of each kind in ``sources`` (kind -> ImportSource, with
    its settings) with the ``entries`` of that kind, read from ``origin``: all of them,
    or - on any failure - none, the old lists untouched."""
    now = now or timezone.now()
    built = [
        _built(
            event,
            kind,
            [e for e in entries if e.kind == kind],
            source=origin,
            by=by,
            now=now,
        )
        for kind, row in sources.items()
    ]
    with transaction.atomic():
        old = PeopleList.objects.filter(event=event, kind__in=list(sources))
        PersonTag.objects.filter(person__people_list__in=old).delete()
        Person.objects.filter(people_list__in=old).delete()
        old.delete()
        for people_list, people, tags in built:
            people_list.save(force_insert=True)
            Person.objects.bulk_create(people, batch_size=_BATCH)
            PersonTag.objects.bulk_create(tags, batch_size=_BATCH)
            row = sources[people_list.kind]
            _status(
                row,
                ok=True,
                message=imported_message(people_list.kind, people_list.size),
                by=by,
                now=now,
            )
            audit.record(by, "attendees.imported", people_list, event_id=event.pk)
    return [people_list for people_list, _people, _tags in built]


def record_failure(event, row: ImportSource, message: str, *, by, now=None) -> None:
    """An import that failed: the old list stays; the leads see why on the page."""
    with transaction.atomic():
        _status(row, ok=False, message=message, by=by, now=now or timezone.now())
        audit.record(by, "attendees.import_failed", row, event_id=event.pk)


def no_token_message() -> str:
    return _("Type the API token: none is saved for this address.")
