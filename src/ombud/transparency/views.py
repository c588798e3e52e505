"""Staff pages to draft and publish a report, and the public pages that show it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ombud.events.models import Event, Organisation
from ombud.events.views import public_event
from ombud.transparency import counting, present, rules, services
from ombud.transparency.forms import ReportTextForm
from ombud.transparency.models import TransparencyReport
from ombud.web.forms import Form, posted


class _ActionForm(Form):
    """The page's buttons besides saving the text; carries a refusal's message."""

    action = forms.ChoiceField(
        choices=[(a, a) for a in ("compute", "publish", "unpublish")], widget=forms.HiddenInput
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _act(request, report, data: dict) -> str:
    """Run the button pressed; the success message, or raise ReportRefused."""
    action = data["action"]
    if action == "compute":
        services.compute(report, by=request.user)
        return _("The numbers were counted again. Check the preview before publishing.")
    if action == "publish":
        services.publish(report, by=request.user, expected_version=data["version"])
        return _("Published.")
    services.unpublish(report, by=request.user)
    return _("Taken off the public page.")


def _manage(request, report, context: dict):
    text_form = ReportTextForm(
        posted(request) if request.POST.get("action") == "save" else None,
        initial={"prose": report.prose, "threshold": report.threshold},
    )
    action_form = _ActionForm(
        request.POST if request.method == "POST" and not text_form.is_bound else None
    )
    if request.method == "POST":
        form = text_form if text_form.is_bound else action_form
        if form is action_form and not form.is_valid():
            form.add_error(None, _("Use one of the page's buttons."))
        elif form.is_valid():
            try:
                if form is text_form:
                    services.save_text(report, by=request.user, **form.cleaned_data)
                    done = _("Saved.")
                else:
                    done = _act(request, report, form.cleaned_data)
            except services.ReportRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, done)
                return redirect(request.path)
    has_errors = bool(text_form.errors or action_form.errors)
    return render(
        request,
        "transparency/manage.html",
        {
            **context,
            "report": report,
            "text_form": text_form,
            "action_form": action_form,
            "preview": _shown(report.draft, report.prose) if report.draft else None,
            "safe": report.pk is None or not report.draft or services.is_safe_with_family(report),
        },
        status=400 if has_errors else 200,
    )


def _shown(snapshot: dict, prose: str) -> dict:
    return {
        "snapshot": snapshot,
        "prose": prose,
        "sections": present.sections(snapshot),
        "times": present.times(snapshot),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def manage_event(request, slug):
    event = get_object_or_404(Event.objects.select_related("organisation"), slug=slug)
    if not rules.may_manage_event_report(request.user, event):
        raise Http404
    return _manage(
        request, services.for_event(event), {"event": event, "year": event.starts_on.year}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def manage_organisation(request, org_slug, year):
    organisation = get_object_or_404(Organisation, slug=org_slug)
    if not rules.may_manage_organisation_report(request.user, organisation):
        raise Http404
    events = counting.family_events(organisation.pk, year)
    if not events:
        raise Http404
    report = services.for_organisation(organisation, year)
    return _manage(request, report, {"organisation": organisation, "year": year, "events": events})


def _respond(request, report, filename: str, context: dict):
    """The published report as HTML, or ``?format=csv`` / ``?format=json``."""
    wanted = request.GET.get("format", "")
    if wanted == "csv":
        response = HttpResponse(
            present.as_csv(report.public), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if wanted == "json":
        return JsonResponse(present.as_json(report.public, report.public_prose))
    return render(
        request,
        "transparency/public.html",
        {
            **context,
            "report": report,
            "shown": _shown(report.public, report.public_prose),
            "with_tables": True,
        },
    )


def _published(**lookup) -> TransparencyReport | None:
    return TransparencyReport.objects.filter(**lookup).exclude(published_at=None).first()


@require_http_methods(["GET", "HEAD"])
def public_event_report(request, slug):
    """404 until the leads publish it, and again once they take it off."""
    event = public_event(request, slug)
    report = _published(event=event)
    if report is None:
        raise Http404
    year = event.starts_on.year
    organisation_report = _published(organisation=event.organisation, event=None, year=year)
    return _respond(
        request,
        report,
        f"{event.slug}-transparency-{year}",
        {"event": event, "organisation_report": organisation_report},
    )


@require_http_methods(["GET", "HEAD"])
def public_organisation_report(request, org_slug, year):
    organisation = get_object_or_404(Organisation, slug=org_slug)
    report = _published(organisation=organisation, event=None, year=year)
    if report is None:
        raise Http404
    event_reports = TransparencyReport.objects.filter(
        event__in=counting.family_events(organisation.pk, year)
    ).exclude(published_at=None)
    return _respond(
        request,
        report,
        f"{organisation.slug}-transparency-{year}",
        {
            "organisation": organisation,
            "event_reports": event_reports.select_related("event").order_by("event__starts_on"),
        },
    )
