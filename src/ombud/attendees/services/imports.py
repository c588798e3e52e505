"""Importing an event's attendees (pretix, CSV) and speakers (pretalx, CSV).

Each import reads the whole list first; only then is the old list replaced, in one
transaction. Any failure - the service unreachable, a refused token, an error page,
an answer not understood, a bad CSV line - leaves the old list, and is stored as the
source's last status (shown to the leads) and audited. Imports run in the request:
5,000 people take about two seconds here (tests/attendees/test_imports.py).
"""

from django.db import IntegrityError
from django.utils.translation import gettext as _

from ombud.attendees.models import ImportSource, Kind, Source
from ombud.attendees.services import sources, store
from ombud.attendees.services.sources import ImportFailed


class NeedsToken(ValueError):
    """No API token typed, and none saved for this source and address."""

    def __init__(self):
        super().__init__(store.no_token_message())


def _run(event, row, read, *, by):
    try:
        entries = read()
    except ImportFailed as exc:
        store.record_failure(event, row, str(exc), by=by)
        raise
    return _replace(event, entries, origin=row.source, rows={row.kind: row}, by=by)


def _replace(event, entries, *, origin: str, rows: dict, by):
    try:
        return store.replace(event, entries, origin=origin, sources=rows, by=by)
    except IntegrityError:
        # Two imports of the same list at once (PostgreSQL): the first one stands.
        failed = ImportFailed(_("Another import of this list ran at the same time; try again."))
        for kind, row in rows.items():
            store.record_failure(event, store.source_of(event, kind) or row, str(failed), by=by)
        raise failed from None


def from_pretix(event, *, base_url: str, organizer: str, remote_event: str, token: str, by):
    row = store.configured(
        event,
        Kind.ATTENDEES,
        Source.PRETIX,
        base_url=base_url,
        organizer=organizer,
        remote_event=remote_event,
        token=token,
    )
    token = store.stored_token(row)
    if not token:
        raise NeedsToken
    return _run(
        event,
        row,
        lambda: sources.pretix_orders(base_url, organizer, remote_event, token),
        by=by,
    )


def from_pretalx(event, *, base_url: str, remote_event: str, token: str, by):
    row = store.configured(
        event,
        Kind.SPEAKERS,
        Source.PRETALX,
        base_url=base_url,
        remote_event=remote_event,
        token=token,
    )
    token = store.stored_token(row)
    if not token:
        raise NeedsToken
    return _run(
        event,
        row,
        lambda: sources.pretalx_speakers(base_url, remote_event, token),
        by=by,
    )


def from_csv(event, data: bytes, *, default_kind: str, by):
    """Replaces the list of each kind the file has people for (rows without a kind go
    to ``default_kind``); a file with nobody in it empties ``default_kind``'s list."""
    try:
        entries = sources.csv_people(data, default_kind=default_kind)
    except ImportFailed as exc:
        row = store.source_of(event, default_kind) or ImportSource(
            event=event, kind=default_kind, source=Source.CSV
        )
        store.record_failure(event, row, str(exc), by=by)
        raise
    kinds = {entry.kind for entry in entries} or {default_kind}
    rows = {}
    for kind in sorted(kinds):
        # A pretix or pretalx connection stays set up (token included) for next time.
        rows[kind] = store.source_of(event, kind) or ImportSource(
            event=event, kind=kind, source=Source.CSV
        )
    return _replace(event, entries, origin=Source.CSV, rows=rows, by=by)
