"""The reporter's pages: the form, the receipt, the follow-up behind a receipt."""

import logging
import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ombud.cases.models import Attachment, Channel, Report
from ombud.cases.services import replies, reporter
from ombud.cases.services.attachments import CheckedFile
from ombud.decisions.services import reporter as outcomes
from ombud.events.models import Event
from ombud.events.views import public_event
from ombud.intake import browser, followup_actions, forms, held, oral_views, throttle
from ombud.intake.context import event_context
from ombud.intake.oral_forms import CorrectionForm
from ombud.intake.services import submit_report
from ombud.records.withdrawal_views import withdrawn_first
from ombud.staff.queries import membership_for
from ombud.vault import receipts
from ombud.vault.errors import VaultError
from ombud.web import ratelimit
from ombud.web.i18n import remember, speak_for_event, supported
from ombud.web.responses import download

log = logging.getLogger(__name__)


def _unavailable(request, event, status=503):
    # The reporter must still learn how to reach a human.
    return render(request, "intake/unavailable.html", event_context(event), status=status)


def _kept_for_retry(request, form) -> dict:
    """After an error, the files this form would have sent are held for the retry
    (``intake.held``): what the page says about them."""
    token, before = getattr(form, "held_token", ""), getattr(form, "held", [])
    survivors = [] if form.cleaned_data.get("drop_held_files") else before
    files = form.files_to_hold()
    kept = None
    if files and files == survivors:
        kept = held.Held(token, [f.name for f in survivors])  # nothing new: the same hold
    elif files:
        kept = held.hold(files, request)
    if kept is None and survivors:
        kept = held.Held(token, [f.name for f in survivors])  # only the new ones are lost
    if token and (kept is None or kept.token != token):
        held.release(token)
    chosen_now = any(request.FILES.getlist("attachments"))
    return {"kept_files": kept, "files_lost": chosen_now and (kept is None or kept.token == token)}


def _render_form(
    request,
    event,
    form,
    *,
    status=200,
    template="intake/report_form.html",
    resend_needed=False,
):
    context = {
        **event_context(event),
        "form": form,
        "danger_first": request.GET.get("danger") == "yes" or status == 429,
        "slow_down": status == 429,
        "resend_needed": resend_needed,
        "ack_hours": event.ack_promise_hours_at(timezone.now()),
    }
    if form.is_bound:
        context.update(_kept_for_retry(request, form))
    response = render(request, template, context, status=status)
    if template == "intake/report_form.html":
        browser.keep(request, response)
    return response


def _render_receipt(request, event, submission):
    context = {
        **event_context(event),
        "switch_receipt": receipts.display(submission.receipt),
        "receipt": receipts.display(submission.receipt),
        "report": submission.report,
        "repeated": submission.repeated,
        "nobody_alerted": submission.alerted == 0,
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
            browser=browser.secret(request),
        )
    except VaultError:
        log.error("report could not be filed: the vault is unavailable")
        return _unavailable(request, event)
    held.release(form.held_token)
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
            held.release(form.held_token)
            return oral_views.staff_receipt(
                request,
                event,
                submission.report,
                submission.receipt,
                repeated=submission.repeated,
                nobody_alerted=submission.alerted == 0,
            )
    return _render_form(
        request,
        event,
        form,
        status=400 if form.is_bound else 200,
        template="intake/staff_report_form.html",
    )


def _followup_page(
    request,
    view,
    receipt,
    *,
    add_form=None,
    sent=False,
    outcome=None,
    comment=None,
    replaced=False,
    language=None,
    extra=None,
):
    event = view.report.event
    extra = extra or {}
    speak_for_event(request, event, chosen=language)
    comment = comment or {}
    response = render(
        request,
        "intake/followup.html",
        {
            **event_context(event),
            "view": view,
            "content": Report.labelled(view.content),
            "receipt": receipt,
            "add_form": add_form or forms.AddInformationForm(),
            "sent": sent,
            "outcome": outcome,
            "comment_form": comment.get("form") or forms.OutcomeCommentForm(),
            "commented": comment.get("sent", False),
            "replaced": replaced,
            # Switched language on the receipt page: the receipt stays in sight.
            "show_receipt": language is not None and request.POST.get("show_receipt") == "1",
            # The switch on this page carries the receipt, so switching loses nothing.
            "switch_receipt": receipt,
            # A browser never sends files back: after an error, they must be chosen again.
            "files_lost": add_form is not None
            and add_form.is_bound
            and any(request.FILES.getlist("attachments")),
            # The staff member who took it down saw the receipt: offer a new one first.
            "taken_by_staff": view.report.taken_by_id is not None,
            "correction_form": extra.get("correction_form") or CorrectionForm(),
            **extra,
        },
        status=400 if comment.get("form") is not None or followup_actions.failed(extra) else 200,
    )
    if language is not None:
        remember(response, language)
    return response


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@withdrawn_first
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
        extra = followup_actions.act(action, receipt, request.POST)
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
        language=supported(request.POST.get("language")) if action == "language" else None,
        extra=extra,
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


@sensitive_post_parameters()
@require_POST
def save_receipt(request):
    """The receipt as a small text file to keep.

    It comes in the POST body from the receipt page (never in a URL, so never in
    a log or a history) and is not looked up: the answer holds only what was
    sent, so this tells nobody whether a receipt exists.
    """
    receipt = receipts.normalise(request.POST.get("receipt", ""))
    if receipt is None:
        raise BadRequest("not a receipt")
    event = Event.objects.filter(slug=request.POST.get("event", "")[:60]).first()
    text = render_to_string(
        "intake/receipt.txt",
        {
            "receipt": receipts.display(receipt),
            "event": event,
            "followup_url": replies.followup_url(),
        },
        request=request,
    )
    return download(CheckedFile("receipt.txt", "text/plain; charset=utf-8", text.encode()))


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
            return _render_form(request, event, form, status=403, resend_needed=True)
    return render(request, "errors/csrf.html", status=403)
