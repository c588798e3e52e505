from datetime import datetime
from typing import Literal
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from ombud.api.errors import ApiError
from ombud.api.schemas import Refusal, text
from ombud.cases.services import reporter
from ombud.records.services import withdrawal
from ombud.vault import receipts
from ombud.web import ratelimit

router = Router(tags=["reporter"])


class ThreadItemOut(Schema):
    at: datetime
    from_reporter: bool
    text: str
    correction: bool = Field(
        default=False, description="The reporter's correction of the account written down."
    )


class StatusChangeOut(Schema):
    at: datetime
    status: str


class ReceiptView(Schema):
    report_id: UUID
    event: str
    event_name: str
    received_at: datetime
    status: str
    report: dict
    messages: list[ThreadItemOut]
    status_history: list[StatusChangeOut]
    taken_orally: bool = Field(
        description="A staff member wrote the report down from what the reporter said: "
        "POST /receipt/confirmation or /receipt/correction."
    )
    confirmation: Literal["", "confirmed", "corrected"] = Field(
        description="The reporter's answer about the written account; empty: none yet."
    )
    confirmed_at: datetime | None = None
    replies_to: Literal["", "email", "sms"] = Field(
        description="Where the team's replies go in full; empty: behind the receipt only."
    )
    replies_offered: list[str] = Field(
        description="Where the reporter may ask for them in full (POST /receipt/replies)."
    )


class Detail(Schema):
    detail: str


class AddInformation(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: text(reporter.MESSAGE_LIMIT, required=True)


class Correction(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: text(reporter.MESSAGE_LIMIT, required=True)


class RepliesChoice(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    via: Literal["", "email", "sms"] = Field(
        description="email or sms: the team's replies in full there - they then pass "
        "through mail or phone providers in the clear. Empty: behind the receipt only."
    )


class ReceiptReplaced(Schema):
    receipt: str = Field(description="Shown once; the old receipt no longer works.")


def _receipt_header(request) -> str:
    value = request.headers.get("X-Receipt", "")
    if not value:
        raise ApiError(401, _("Send the receipt in the X-Receipt header."))
    if withdrawal.withdrawn_event(value) is not None:
        # All a withdrawn report's receipt still says (ombud.records).
        raise ApiError(410, _("Withdrawn. Its content has been destroyed."), code="withdrawn")
    return value


def _unknown(request):
    # A valid receipt always opens; only misses are counted and, past the limit, slowed.
    slow_down = ratelimit.exceeded("receipt-miss", request)
    ratelimit.hit("receipt-miss", request)
    if slow_down:
        return ApiError(429, _("Too many unknown receipts from this address; wait a few minutes."))
    return ApiError(404, _("No report has this receipt."))


@router.get(
    "/receipt", response={200: ReceiptView, 401: Detail, 404: Detail, 429: Detail}, auth=None
)
def view(request):
    """The reporter's own view: their report, its status, messages addressed to them."""
    try:
        found = reporter.view(_receipt_header(request))
    except reporter.UnknownReceipt:
        raise _unknown(request) from None
    return Status(
        200,
        {
            "report_id": found.report.pk,
            "event": found.report.event.slug,
            "event_name": found.report.event.name,
            "received_at": found.report.received_at,
            "status": found.case.status,
            "report": found.content,
            "messages": [
                {
                    "at": m.at,
                    "from_reporter": m.from_reporter,
                    "text": m.text,
                    "correction": m.correction,
                }
                for m in found.thread
            ],
            "status_history": [{"at": at, "status": status} for at, status in found.status_history],
            "taken_orally": found.report.taken_orally,
            "confirmation": found.report.confirmation,
            "confirmed_at": found.report.confirmed_at,
            "replies_to": found.report.replies_to,
            "replies_offered": list(found.replies_offered),
        },
    )


@router.post(
    "/receipt/messages",
    response={201: Detail, 400: Detail, 401: Detail, 404: Detail, 422: Refusal, 429: Detail},
    auth=None,
)
def add_information(request, body: AddInformation):
    """Add information to one's own report, or answer the staff."""
    try:
        reporter.add_information(_receipt_header(request), body.text)
    except reporter.UnknownReceipt:
        raise _unknown(request) from None
    return Status(201, {"detail": _("Added. The response team has been told.")})


@router.post(
    "/receipt/replace",
    response={201: ReceiptReplaced, 401: Detail, 404: Detail, 429: Detail},
    auth=None,
)
def replace(request):
    """A new receipt for one's own report; the old one stops working at once. For a
    reporter whose receipt someone else saw, e.g. the staff member who took it down."""
    try:
        new = reporter.replace_receipt(_receipt_header(request))
    except reporter.UnknownReceipt:
        raise _unknown(request) from None
    return Status(201, {"receipt": receipts.display(new)})


@router.post(
    "/receipt/confirmation",
    response={201: Detail, 401: Detail, 404: Detail, 409: Detail, 429: Detail},
    auth=None,
)
def confirm(request):
    """Confirm the account a staff member wrote down from what one told them (once).
    409 when the report was not taken down orally, or is already confirmed or corrected."""
    try:
        reporter.confirm_account(_receipt_header(request))
    except reporter.UnknownReceipt:
        raise _unknown(request) from None
    except reporter.NothingToConfirm as refusal:
        raise ApiError(409, str(refusal.message)) from None
    return Status(201, {"detail": _("Thank you. The response team sees that you confirmed it.")})


@router.post(
    "/receipt/correction",
    response={
        201: Detail,
        400: Detail,
        401: Detail,
        404: Detail,
        409: Detail,
        422: Refusal,
        429: Detail,
    },
    auth=None,
)
def correct(request, body: Correction):
    """Correct the account a staff member wrote down: added to the report like added
    information (the written account stays as it was). 409 for a report not taken orally."""
    try:
        reporter.correct_account(_receipt_header(request), body.text)
    except reporter.UnknownReceipt:
        raise _unknown(request) from None
    except reporter.NothingToConfirm as refusal:
        raise ApiError(409, str(refusal.message)) from None
    return Status(
        201,
        {"detail": _("Thank you. Your correction was added and the response team has been told.")},
    )


@router.post(
    "/receipt/replies",
    response={200: Detail, 400: Detail, 401: Detail, 404: Detail, 422: Refusal, 429: Detail},
    auth=None,
)
def choose_replies(request, body: RepliesChoice):
    """Have the team's replies sent in full by e-mail or text (only where the report's
    contact allows: ``replies_offered``), or kept behind the receipt again."""
    try:
        reporter.choose_replies(_receipt_header(request), body.via)
    except reporter.UnknownReceipt:
        raise _unknown(request) from None
    except reporter.RepliesNotOffered:
        raise ApiError(422, str(reporter.RepliesNotOffered.message)) from None
    return Status(200, {"detail": _("Saved.")})
