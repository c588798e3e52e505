"""Retention through the API: a lead keeps a case longer (as on its retention page),
and a reporter withdraws their report with the receipt (as on the follow-up page)."""

from datetime import date
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from ombud.api.case_schemas import CaseOut
from ombud.api.cases import case_out
from ombud.api.errors import ApiError
from ombud.api.schemas import answers, text
from ombud.cases.models import Case
from ombud.cases.services import access
from ombud.records import rules
from ombud.records.services import extend, withdrawal
from ombud.web import ratelimit

router = Router(tags=["staff"])
reporter_router = Router(tags=["reporter"])


class RetentionIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    version: int = Field(ge=1, description="The case version you saw; stale versions get 409.")
    # A date arrives as a JSON string: strict mode would refuse every one.
    until: date = Field(strict=False, description="Keep the case until this day (YYYY-MM-DD).")
    reason: text(extend.REASON_LIMIT, required=True) = Field(
        description="Why; sealed under the case key like its notes."
    )


@router.post("/cases/{case_id}/retention", response=answers({200: CaseOut}))
def extend_retention(request, case_id: UUID, body: RetentionIn):
    """Keep a closed case longer than the retention policy says: the case's incident
    leads only (404 for others), with a reason; audited. The answer's ``expunge_on``
    and ``expunge_rule`` say what now holds."""
    case = access.readable_case(request.auth, case_id, related=("event", "owner"))
    if not rules.may_extend(request.auth, case):
        raise access.CaseNotFound
    extend.extend(case, body.until, body.reason, by=request.auth, expected_version=body.version)
    return case_out(Case.objects.select_related("event", "owner").get(pk=case.pk), request.auth)


class Withdrawn(Schema):
    status: str = Field(description="'withdrawn'.")
    detail: str


class Detail(Schema):
    detail: str


@reporter_router.post(
    "/receipt/withdrawal",
    response={200: Withdrawn, 401: Detail, 404: Detail, 429: Detail},
    auth=None,
)
def withdraw(request):
    """Withdraw the report: its content is destroyed now (crypto-shredded) and the team
    is told, without content. A decision already taken stays in force; a record without
    content stays (event, dates, channel, category, outcome). The receipt afterwards
    answers 410 with ``code: withdrawn``. Sending it again changes nothing."""
    receipt = request.headers.get("X-Receipt", "")
    if not receipt:
        raise ApiError(401, _("Send the receipt in the X-Receipt header."))
    try:
        withdrawal.withdraw(receipt)
    except withdrawal.UnknownReceipt:
        slow_down = ratelimit.exceeded("receipt-miss", request)
        ratelimit.hit("receipt-miss", request)
        if slow_down:
            raise ApiError(
                429, _("Too many unknown receipts from this address; wait a few minutes.")
            ) from None
        raise ApiError(404, _("No report has this receipt.")) from None
    return {"status": "withdrawn", "detail": _("Withdrawn. Its content has been destroyed.")}
