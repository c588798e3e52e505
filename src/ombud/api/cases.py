"""The response team's API, reading: who am I, reports, cases, a case file, its
export, files and access log. Every case goes through the door
(``cases.services.access``): 404 for what the caller may not see, 409 with
``code: declaration_required`` for what they have yet to declare no conflict in."""

from uuid import UUID

from django.http import HttpResponse
from ninja import Query, Router

from ombud.api.case_schemas import (
    AccessLogOut,
    CaseOut,
    CaseSummary,
    MeOut,
    ReportOut,
    ReportSummary,
)
from ombud.api.schemas import answers
from ombud.cases import rules
from ombud.cases.models import Attachment
from ombud.cases.queries import (
    access_log_of,
    cases_visible_to,
    dashboard_cases,
    reports_taken_by,
    reports_visible_to,
)
from ombud.cases.services import access, links, work
from ombud.events.models import Event, OrganiserAdmin
from ombud.staff.queries import memberships_of
from ombud.web.responses import download

router = Router(tags=["staff"])


@router.get("/me", response=answers({200: MeOut}, body=False, conflict=False))
def me(request):
    """Who the token belongs to, and their roles per event."""
    user = request.auth
    roles: dict[str, list[str]] = {}
    events = []
    for membership in memberships_of(user):
        roles.setdefault(membership.event.slug, []).append(membership.role)
        events.append(
            {
                "slug": membership.event.slug,
                "name": membership.event.name,
                "role": membership.role,
                "acknowledged": membership.is_acknowledged,
            }
        )
    admin_of = OrganiserAdmin.objects.filter(user=user).values_list("organisation_id", flat=True)
    for slug in Event.objects.filter(organisation_id__in=admin_of).values_list("slug", flat=True):
        roles.setdefault(slug, []).append("organiser_admin")
    return MeOut(
        username=user.username,
        email=user.email,
        name=user.get_full_name(),
        roles=roles,
        events=events,
    )


@router.get("/reports", response=answers({200: list[ReportSummary]}, body=False, conflict=False))
def list_reports(request):
    """Reports on cases the caller works, then reports the caller took for someone."""
    user = request.auth
    seen = {}
    for access_kind, reports in (
        ("case", reports_visible_to(user)),
        ("status", reports_taken_by(user)),
    ):
        for report in reports.select_related("case", "event").order_by("-received_at")[:500]:
            report.access = access_kind
            seen.setdefault(report.pk, report)
    return list(seen.values())


@router.get("/reports/{report_id}", response=answers({200: ReportOut}, body=False))
def get_report(request, report_id: UUID):
    """One report; 404 for anything the caller may not see, 409 (declaration_required)
    for a case worker who has yet to declare no conflict of interest in its case."""
    user = request.auth
    report = reports_visible_to(user).filter(pk=report_id).values_list("case_id").first()
    if report is not None:
        case = access.readable_case(user, report[0])
        return ReportOut.from_orm(work.read_report(case, report_id, by=user))
    taken = reports_taken_by(user).select_related("case", "event").filter(pk=report_id).first()
    if taken is None:
        raise access.CaseNotFound
    return ReportOut.from_orm(taken)


@router.get("/cases", response=answers({200: list[CaseSummary]}, body=False, conflict=False))
def list_cases(request, limit: int = Query(100, ge=1, le=500)):
    """Cases the caller works and is not recused from: urgent and new first, then the
    rest newest first; the first ``limit`` (100 unless asked, at most 500)."""
    return dashboard_cases(cases_visible_to(request.auth).select_related("event", "owner"), limit)


def case_out(case, user) -> CaseOut:
    """The whole case file as the API answers it (used by the actions too)."""
    return CaseOut.of(work.open_case(case, by=user), links.linked_for(case, user))


@router.get("/cases/{case_id}", response=answers({200: CaseOut}, body=False))
def get_case(request, case_id: UUID):
    """The whole case file (reading it is audited)."""
    case = access.readable_case(request.auth, case_id, related=("event", "owner"))
    return case_out(case, request.auth)


@router.get("/cases/{case_id}/summary", response=answers({200: CaseOut}, body=False))
def export_case(request, case_id: UUID):
    """The case summary to keep or print, as the printable page has it: for the event's
    incident leads only (404 for others), audited as an export."""
    case = access.readable_case(request.auth, case_id, related=("event", "owner"))
    if not rules.may_export(request.auth, case):
        raise access.CaseNotFound
    return CaseOut.of(work.export(case, by=request.auth), links.linked_for(case, request.auth))


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}",
    response=answers({200: None}, body=False),
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as a download (Content-Disposition: attachment).",
                "content": {"application/octet-stream": {}},
            }
        }
    },
)
def get_attachment(request, case_id: UUID, attachment_id: UUID) -> HttpResponse:
    """One file of the case, always as a download (reading it is audited)."""
    case = access.readable_case(request.auth, case_id)
    try:
        return download(work.open_attachment(case, attachment_id, by=request.auth))
    except Attachment.DoesNotExist:
        raise access.CaseNotFound from None


@router.get("/cases/{case_id}/access-log", response=answers({200: list[AccessLogOut]}, body=False))
def get_access_log(request, case_id: UUID):
    """Who opened or changed the case, newest first: for the event's incident leads."""
    case = access.readable_case(request.auth, case_id)
    if not rules.may_see_access_log(request.auth, case):
        raise access.CaseNotFound
    return [AccessLogOut.of(entry) for entry in access_log_of(case)]
