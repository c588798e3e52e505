from datetime import date
from typing import Literal
from uuid import UUID

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from ombud.api.auth import optional_user
from ombud.api.errors import ApiError
from ombud.api.schemas import Refusal, text
from ombud.cases.models import STAFF_CHANNELS, Channel, Report
from ombud.cases.services import oral, replies
from ombud.events.models import Event
from ombud.events.queries import event_by_slug
from ombud.events.services import other_ways
from ombud.intake import throttle
from ombud.intake.services import (
    FIELD_LIMITS,
    MAX_EXCLUDED_STAFF,
    SUBMISSION_KEY_MAX,
    SUBMISSION_KEY_MIN,
    ReportInput,
    submit_report,
    valid_submission_key,
)
from ombud.staff.queries import membership_for, on_duty_publicly
from ombud.vault import receipts
from ombud.web import ratelimit
from ombud.web.i18n import speak_for_event

router = Router(tags=["intake"])

StaffChannel = Literal["in_person", "phone", "email", "written"]
assert set(StaffChannel.__args__) == {c.value for c in STAFF_CHANNELS}


Language = Literal[tuple(code for code, _name in settings.LANGUAGES)]


class ReportIn(Schema):
    """A report. Only ``what_happened`` is required; everything else can come later."""

    model_config = ConfigDict(extra="forbid", strict=True)

    what_happened: text(FIELD_LIMITS["what_happened"], required=True)
    who: text(FIELD_LIMITS["who"]) | None = None
    who_description: text(FIELD_LIMITS["who_description"]) | None = None
    when: text(FIELD_LIMITS["when"]) | None = None
    where: text(FIELD_LIMITS["where"]) | None = None
    circumstances: text(FIELD_LIMITS["circumstances"]) | None = None
    others_involved: text(FIELD_LIMITS["others_involved"]) | None = None
    evidence_links: text(FIELD_LIMITS["evidence_links"]) | None = None
    safety_concerns: text(FIELD_LIMITS["safety_concerns"]) | None = None
    contact: text(FIELD_LIMITS["contact"]) | None = None
    exclude_others: text(FIELD_LIMITS["exclude_others"]) | None = None
    danger_now: bool = False
    still_going_on: bool | None = None
    reporter_relation: Literal["target", "witness", "on_behalf"] | None = None
    law_enforcement: Literal["yes", "no", "not_now"] | None = None
    exclude_staff: list[text(150)] = Field(default_factory=list, max_length=MAX_EXCLUDED_STAFF)
    channel: StaffChannel | None = Field(
        default=None, description="Only with a staff member's bearer token: how it reached them."
    )
    language: Language | None = Field(
        default=None,
        description="The reporter's language. Default: the first of Accept-Language that the "
        "event offers, else the event's default language.",
    )


class ReportCreated(Schema):
    receipt: str = Field(description="Shown once; the reporter's only way back to the report.")
    report_id: UUID
    repeated: bool = Field(description="True when this was a resend of an identical report.")
    alerted: bool | None = Field(
        description="Whether anyone was alerted; false means: tell a staff member in person. "
        "Null for a resend."
    )
    follow_up_url: str


class Detail(Schema):
    detail: str


class StaffOnDuty(Schema):
    name: str
    role: str
    phone: str


class OtherWay(Schema):
    kind: Literal["mail", "sms", "voice"]
    address: str = Field(description="The e-mail address, or the number in E.164 form.")


class EventOut(Schema):
    slug: str
    name: str
    starts_on: date
    ends_on: date
    time_zone: str
    venue: str
    emergency_number: str
    venue_security_contact: str
    staff_recognition: str
    code_of_conduct_url: str
    report_url: str
    on_duty: list[StaffOnDuty]
    other_ways: list[OtherWay] = Field(
        default_factory=list,
        description="The event's enabled reporting address, text number and hotline.",
    )


def _event(slug: str) -> Event:
    event = event_by_slug(slug)
    if event is None:
        raise ApiError(404, _("Unknown event."))
    return event


@router.get("/events/{event}", response={200: EventOut, 404: Detail}, auth=None)
def event_info(request, event: str):
    """What an attendee needs: emergency numbers, how to recognise staff, who is on duty."""
    found = _event(event)
    return Status(
        200,
        {
            **{
                f: getattr(found, f)
                for f in (
                    "slug",
                    "name",
                    "starts_on",
                    "ends_on",
                    "time_zone",
                    "venue",
                    "emergency_number",
                    "venue_security_contact",
                    "staff_recognition",
                    "code_of_conduct_url",
                )
            },
            "report_url": settings.BASE_URL + reverse("intake:report", args=[found.slug]),
            "on_duty": [
                {"name": str(m.user), "role": m.role, "phone": m.phone}
                for m in on_duty_publicly(found)
            ],
            "other_ways": [{"kind": w.kind, "address": w.address} for w in other_ways(found)],
        },
    )


@router.post(
    "/events/{event}/reports",
    response={
        201: ReportCreated,
        400: Detail,
        401: Detail,
        404: Detail,
        415: Detail,
        422: Refusal,
        429: Detail,
        503: Detail,
    },
    auth=None,
)
def submit(request, event: str, body: ReportIn):
    """File a report. With an ``Idempotency-Key`` header (22 to 128 characters, random:
    at least 128 bits), a resend of the same report returns the first answer instead of
    filing it twice. With a staff member's bearer token the report is recorded as taken
    by them, and a resend gets the receipt back for 15 minutes only."""
    if request.content_type != "application/json":
        # A cross-site form cannot send JSON without a preflight: this keeps
        # other sites from filing reports through their visitors' browsers.
        raise ApiError(415, _("Send the report as JSON (Content-Type: application/json)."))
    found = _event(event)
    speak_for_event(request, found)
    staff = optional_user(request)
    channel, taken_by = Channel.API, None
    if staff is not None:
        membership = membership_for(staff, found)
        if membership is None or not membership.is_acknowledged:
            raise ApiError(404, _("Unknown event."))
        channel, taken_by = body.channel or Channel.IN_PERSON, staff
    elif body.channel:
        raise ApiError(422, _("Only staff signed in with a token can set the channel."))
    key = request.headers.get("Idempotency-Key", "")
    if key and not valid_submission_key(key):
        raise ApiError(
            422,
            _(
                "Idempotency-Key must be %(min)d to %(max)d printable ASCII characters: "
                "a random value of at least 128 bits, such as a random UUID."
            )
            % {"min": SUBMISSION_KEY_MIN, "max": SUBMISSION_KEY_MAX},
        )
    if taken_by is None and ratelimit.exceeded(throttle.API, request):
        raise ApiError(429, _("Too many reports from this address. Please ask a staff member."))
    data = body.model_dump()
    submission = submit_report(
        found,
        ReportInput(
            content={name: data.get(name) or "" for name in FIELD_LIMITS},
            danger_now=body.danger_now,
            still_going_on=body.still_going_on,
            reporter_relation=body.reporter_relation or "",
            law_enforcement=body.law_enforcement or "",
            exclude_staff=list(body.exclude_staff),
            channel=channel,
            taken_by=taken_by,
            language=body.language or "",
        ),
        submission_key=key,
    )
    if taken_by is None:
        ratelimit.hit(throttle.API, request)
    return Status(
        201,
        {
            "receipt": receipts.display(submission.receipt),
            "report_id": submission.report.pk,
            "repeated": submission.repeated,
            "alerted": None if submission.alerted is None else submission.alerted > 0,
            "follow_up_url": replies.followup_url(),
        },
    )


class SendReceiptIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    receipt: text(100, required=True) = Field(description="The report's receipt, as given.")
    via: Literal["email", "sms"] = Field(
        description="sms only where the event has a text-message number."
    )
    to: text(254, required=True) = Field(
        description="The reporter's e-mail address or mobile number (with country code); "
        "used for this message only, kept nowhere."
    )


@router.post(
    "/reports/{report_id}/receipt",
    response={202: Detail, 400: Detail, 401: Detail, 404: Detail, 422: Refusal},
)
def send_receipt(request, report_id: UUID, body: SendReceiptIn):
    """Send the reporter their receipt by e-mail or text message, to the address or number
    they give: only the staff member who took the report, within an hour of taking it,
    with the report's own receipt. Anyone else, or a wrong receipt: 404."""
    report = Report.objects.select_related("event", "case").filter(pk=report_id).first()
    if report is None or not oral.may_give_receipt(request.auth, report):
        raise ApiError(404, _("Not found."))
    receipt = receipts.normalise(body.receipt)
    if receipt is None or not receipts.matches(report.receipt_digest, receipt):
        raise ApiError(404, _("Not found."))
    try:
        oral.send_receipt(report, receipt, body.via, body.to, by=request.auth)
    except oral.ReceiptNotSent as exc:
        raise ApiError(422, str(exc)) from None
    return Status(
        202,
        {
            "detail": _(
                "The receipt is on its way. The address or number it was sent to was not kept."
            )
        },
    )
