from datetime import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from ombud.api.errors import ApiError
from ombud.api.schemas import Refusal, text
from ombud.cases.services import reporter
from ombud.vault import receipts
from ombud.web import ratelimit

router = Router(tags=["reporter"])


class ThreadItemOut(Schema):
    at: datetime
    from_reporter: bool
    text: str


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


class Detail(Schema):
    detail: str


class AddInformation(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: text(reporter.MESSAGE_LIMIT, required=True)


class ReceiptReplaced(Schema):
    receipt: str = Field(description="Shown once; the old receipt no longer works.")


def _receipt_header(request) -> str:
    value = request.headers.get("X-Receipt", "")
    if not value:
        raise ApiError(401, _("Send the receipt in the X-Receipt header."))
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
                {"at": m.at, "from_reporter": m.from_reporter, "text": m.text} for m in found.thread
            ],
            "status_history": [{"at": at, "status": status} for at, status in found.status_history],
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
