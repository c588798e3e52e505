"""Audited services of attendee and speaker lists: imports, their failures, the leads'
look at who on the lists is banned, and the lists' deletion after the event."""

from datetime import timedelta

from django.utils import timezone

from ombud.attendees.models import Kind
from ombud.attendees.services import imports, retention
from ombud.attendees.services.matching import ban_matches
from ombud.attendees.services.sources import ImportFailed
from ombud.events.models import Event
from tests.audit.catalogue import Call, audited

CSV = b"name,email,badge\nAda Attendee,ada@example.org,B-1\nBo Speaker,bo@example.org,B-2\n"


def _import(cast):
    imports.from_csv(cast.event, CSV, default_kind=Kind.ATTENDEES, by=cast.lead)


@audited(imports.from_csv, "attendees.imported")
def import_a_csv(cast):
    return Call(
        lambda: imports.from_csv(cast.event, CSV, default_kind=Kind.ATTENDEES, by=cast.lead),
        cast.lead,
    )


def _refused(cast):
    try:
        imports.from_csv(cast.event, b"who\nnobody\n", default_kind=Kind.ATTENDEES, by=cast.lead)
    except ImportFailed:
        return
    raise AssertionError("a CSV without a name column was taken")


@audited(imports.from_csv, "attendees.import_failed", case="a refused file")
def refuse_a_csv(cast):
    return Call(lambda: _refused(cast), cast.lead)


@audited(ban_matches, "attendees.ban_matches_viewed")
def look_at_ban_matches(cast):
    _import(cast)
    return Call(lambda: ban_matches(cast.event, by=cast.lead), cast.lead)


@audited(retention.purge_expired, "attendees.purged@system")
def delete_a_list_after_the_event(cast):
    _import(cast)
    long_ago = timezone.localdate() - timedelta(days=90)
    Event.objects.filter(pk=cast.event.pk).update(starts_on=long_ago, ends_on=long_ago)
    return Call(lambda: retention.purge_expired(timezone.now()))
