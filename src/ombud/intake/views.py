"""The reporter's pages: the form, the receipt, the follow-up behind a receipt."""

import logging
import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ombud.cases.models import Attachment, Channel, Report
from ombud.cases.services import reporter
from ombud.decisions.services import reporter as outcomes
from ombud.events.models import Event
from ombud.events.views import public_event
from ombud.intake import forms, throttle
from ombud.intake.services import submit_report
from ombud.staff.queries import membership_for
from ombud.vault import receipts
from ombud.vault.errors import VaultError
from ombud.web import ratelimit
from ombud.web.responses import download

log = logging.getLogger(__name__)


def _event_context(event):
    return {"event": event, "event_zone": event.zone}


def _unavailable(request, event, status=503):
    # The reporter must still learn how to reach a human.
    return render(request, "intake/unavailable.html", _event_context(event), status=status)


def _render_form(request, event, form, *, status=200):
    context = {
        **_event_context(event),
        "form": form,
        "danger_first": request.GET.get("danger") == "yes" or status == 429,
        "slow_down": status == 429,
    }
    return render(request, "intake/report_form.html", context, status=status)


def _render_receipt(request, event, submission, *, staff=False):
    context = {
        **_event_context(event),
        "receipt": receipts.display(submission.receipt),
        "report": submission.report,
        "repeated": submission.repeated,
        "nobody_alerted": submission.alerted == 0,
        "staff_assisted": staff,
    }
    return render(request, "intake/receipt.html", context)


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def report(request, slug):
    event = public_event(request, slug)
    if request.method != "POST":
        initial = {"danger_now": "yes"} if request.GET.get("danger") == "yes" else {}
        return _render_form(request, event, forms.ReportForm(event, initial=initial))
    form = forms.ReportForm(event, request.POST, request.FILES)
    if not form.is_valid():
        return _render_form(request, event, form, status=400)
    budget = throttle.form_budget(request, form.cleaned_data["loaded"])
    if budget is None:
        # Nothing typed is lost: the form comes back, filled in, to send again later.
        return _render_form(request, event, form, status=429)
    try:
        submission = submit_report(
            event,
            form.report_input(channel=Channel.WEB),
            submission_key=form.cleaned_data["submission_key"],
        )
    except VaultError:
        log.error("report could not be filed: the vault is unavailable")
        return _unavailable(request, event)
    ratelimit.hit(budget, request)
    return _render_receipt(request, event, submission)


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def staff_report(request, slug):
    """A staff member writes the report with or for the person reporting."""
    event = get_object_or_404(Event.objects.select_related("organisation"), slug=slug)
    membership = membership_for(request.user, event)
    if membership is None or not membership.is_acknowledged:
        raise Http404
    if request.method != "POST":
        form = forms.StaffReportForm(event)
    else:
        form = forms.StaffReportForm(event, request.POST, request.FILES)
        if form.is_valid():
            data = form.report_input(channel=form.cleaned_data["channel"], taken_by=request.user)
            try:
                submission = submit_report(
                    event, data, submission_key=form.cleaned_data["submission_key"]
                )
            except VaultError:
                log.error("report could not be filed: the vault is unavailable")
                return _unavailable(request, event)
            return _render_receipt(request, event, submission, staff=True)
    return render(
        request,
        "intake/staff_report_form.html",
        {**_event_context(event), "form": form},
        status=400 if form.is_bound else 200,
    )


def _followup_page(
    request, view, receipt, *, add_form=None, sent=False, outcome=None, comment=None, replaced=False
):
    event = view.report.event
    comment = comment or {}
    return render(
        request,
        "intake/followup.html",
        {
            **_event_context(event),
            "view": view,
            "content": Report.labelled(view.content),
            "receipt": receipt,
            "add_form": add_form or forms.AddInformationForm(),
            "sent": sent,
            "outcome": outcome,
            "comment_form": comment.get("form") or forms.OutcomeCommentForm(),
            "commented": comment.get("sent", False),
            "replaced": replaced,
            # The staff member who took it down saw the receipt: offer a new one first.
            "taken_by_staff": view.report.taken_by_id is not None,
        },
        status=400 if comment.get("form") is not None else 200,
    )


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def followup(request):
    """Receipts travel only in POST bodies and headers, never in URLs or sessions."""
    if request.method != "POST":
        return render(request, "intake/followup_start.html", {"form": forms.ReceiptForm()})
    form = forms.ReceiptForm(request.POST)
    if not form.is_valid():
        return render(request, "intake/followup_start.html", {"form": form}, status=400)
    receipt = form.cleaned_data["receipt"]
    add_form = None
    sent = replaced = False
    action = request.POST.get("action")
    try:
        if action == "replace":
            receipt, replaced = reporter.replace_receipt(receipt), True
        if action == "file":
            return download(reporter.open_file(receipt, _uuid(request.POST.get("file"))))
        if action == "add":
            add_form = forms.AddInformationForm(request.POST, request.FILES)
            if add_form.is_valid():
                data = add_form.cleaned_data
                reporter.add_information(receipt, data["text"], data["attachments"])
                add_form, sent = None, True
        comment = _comment(receipt, request) if action == "comment" else None
        view = reporter.view(receipt)
        outcome = outcomes.outcome_for(receipt)
    except (reporter.UnknownReceipt, Attachment.DoesNotExist):
        slow_down = ratelimit.exceeded("receipt-miss", request)
        ratelimit.hit("receipt-miss", request)
        if not slow_down:
            form.add_error("receipt", forms.ReceiptForm.unknown_message)
        context = {"form": form, "slow_down": slow_down}
        return render(
            request, "intake/followup_start.html", context, status=429 if slow_down else 404
        )
    except VaultError:
        log.error("receipt view failed: the vault is unavailable")
        return render(request, "intake/followup_unavailable.html", status=503)
    return _followup_page(
        request,
        view,
        receipts.display(receipts.normalise(receipt)),
        add_form=add_form,
        sent=sent,
        outcome=outcome,
        comment=comment,
        replaced=replaced,
    )


def _comment(receipt, request) -> dict:
    """The reporter's comment on a proposed outcome: sealed, for the team's decision panel."""
    form = forms.OutcomeCommentForm(request.POST)
    if not form.is_valid():
        return {"form": form}
    try:
        outcomes.comment(receipt, form.cleaned_data["comment"])
    except outcomes.NothingToComment:
        form.add_error(None, forms.OutcomeCommentForm.closed_message)
        return {"form": form}
    return {"sent": True}


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def csrf_failure(request, reason=""):
    """A report must not be lost to an expired cookie: show it again, ready to resend."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is not None and match.url_name == "report" and match.namespace == "intake":
        event = Event.objects.filter(slug=match.kwargs.get("slug")).first()
        if event is not None:
            form = forms.ReportForm(event, request.POST, request.FILES)
            form.is_valid()
            return render(
                request,
                "intake/report_form.html",
                {
                    **_event_context(event),
                    "form": form,
                    "resend_needed": True,
                    "now": timezone.now(),
                },
                status=403,
            )
    return render(request, "errors/csrf.html", status=403)
