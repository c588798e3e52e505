"""Linking cases about the same incident, or connected ones, without losing any
original: each report stays in its own case, under its own key and receipt."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.cases import rules
from ombud.cases.models import Case, CaseLink, TimelineEntry
from ombud.cases.queries import cases_visible_to
from ombud.cases.services import access, recusal, timeline
from ombud.cases.services.work import CaseActionError, ReportView, refuse


def link(case: Case, other_code_name: str, kind: str, *, by) -> CaseLink:
    """Link ``case`` with the case of that code name (of the same event, visible to
    ``by``). Both case pages show the link."""
    refuse(rules.why_not_work_on(by, case))
    if kind not in CaseLink.Kind.values:
        raise CaseActionError(_("Unknown kind of link."))
    other = (
        cases_visible_to(by)
        .filter(event=case.event, code_name=(other_code_name or "").strip().lower())
        .first()
    )
    if other is None:
        raise CaseActionError(_("No case of this event with that code name that you can open."))
    if other.pk == case.pk:
        raise CaseActionError(_("A case cannot be linked to itself."))
    now = timezone.now()
    try:
        with transaction.atomic():
            created = CaseLink.objects.create(case=case, other=other, kind=kind, by=by, at=now)
            CaseLink.objects.create(case=other, other=case, kind=kind, by=by, at=now)
            for one, two in ((case, other), (other, case)):
                timeline.add(
                    one,
                    TimelineEntry.Kind.LINKED,
                    actor=by,
                    at=now,
                    link=kind,
                    other_id=str(two.pk),
                )
            audit.record(by, "case.linked", created, event_id=case.event_id)
    except IntegrityError:
        raise CaseActionError(_("These cases are already linked.")) from None
    return created


def linked_for(case: Case, viewer) -> list[dict]:
    """The case's links as ``viewer`` may see them. A linked case they may not see is
    left out altogether: even that it exists would say something about them (they
    may be the person it is kept from). The reports of a duplicate are shown once they
    may read it (declared no conflict in it too), and reading them is audited."""
    visible = set(
        cases_visible_to(viewer)
        .filter(pk__in=case.links.values("other"))
        .values_list("pk", flat=True)
    )
    shown = []
    for found in case.links.select_related("other__event").order_by("at"):
        other = found.other
        if other.pk not in visible:
            continue
        readable = access.may_read(viewer, other)
        reports = []
        if found.kind == CaseLink.Kind.DUPLICATE and readable:
            opened = access.case_key(other, viewer)
            reports = list(other.reports.order_by("received_at"))
            with transaction.atomic():
                for report in reports:
                    audit.record(viewer, "report.read", report, event_id=other.event_id)
            reports = [ReportView(r, recusal.report_fields(r, opened)) for r in reports]
        shown.append({"kind": found.kind, "case": other, "reports": reports, "readable": readable})
    return shown
