"""A flood's triage through the API: the same services as the flood page
(cases.views.event.flood), for the event's incident leads."""

from datetime import datetime
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from ombud.api.case_inputs import VersionIn
from ombud.api.case_schemas import CaseOut
from ombud.api.cases import case_out
from ombud.api.errors import ApiError
from ombud.api.schemas import answers
from ombud.cases import rules
from ombud.cases.services import access, floods, triage
from ombud.events.models import Event

router = Router(tags=["staff"])


class FloodOut(Schema):
    started_at: datetime
    peak: int = Field(description="The most reports received in five minutes.")


class GroupOut(Schema):
    group: str = Field(description="What POST …/flood/junk names.")
    size: int
    first_at: datetime
    last_at: datetime
    case_ids: list[UUID]

    @staticmethod
    def resolve_group(group) -> str:
        return group.key


class TriageOut(Schema):
    flood: FloodOut | None = Field(description="The event's flood now; null when none.")
    as_of: datetime = Field(description="Send it back as up_to when marking a group.")
    groups: list[GroupOut]
    junk: int = Field(description="How many cases you may see are marked as junk.")


class JunkIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    group: str = Field(max_length=80)
    up_to: datetime = Field(strict=False, description="The as_of of the triage you looked at.")


class MarkedOut(Schema):
    marked: int


def _led_event(request, slug: str) -> Event:
    event = None if "\x00" in slug else Event.objects.filter(slug=slug).first()
    if event is None or not rules.is_lead(request.auth, event):
        raise ApiError(404, _("Not found."))
    return event


@router.get("/events/{event}/flood", response=answers({200: TriageOut}, body=False, conflict=False))
def get_triage(request, event: str):
    """The event's flood, if any, and its near-identical new reports in groups."""
    found = _led_event(request, event)
    now = timezone.now()
    return {
        "flood": floods.open_floods([found]).get(found.pk),
        "as_of": now,
        "groups": triage.groups(found, request.auth, up_to=now),
        "junk": triage.junk(found, request.auth, limit=0)[0],
    }


@router.post("/events/{event}/flood/junk", response=answers({200: MarkedOut}))
def mark_junk(request, event: str, body: JunkIn):
    """Mark a group as junk: the cases it held as of ``up_to``, less any changed since."""
    found = _led_event(request, event)
    return {"marked": triage.mark_junk(found, body.group, up_to=body.up_to, by=request.auth)}


@router.post("/cases/{case_id}/not-junk", response=answers({200: CaseOut}))
def not_junk(request, case_id: UUID, body: VersionIn):
    """Put a case marked as junk back in the queue."""
    case = access.readable_case(request.auth, case_id, related=("event", "owner"))
    triage.not_junk(case, by=request.auth)
    return case_out(case, request.auth)
