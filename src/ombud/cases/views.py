"""The staff side: the dashboard and the case page. Thin: queries decide what
may be seen, services do the work."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ombud.audit import services as audit
from ombud.cases import rules
from ombud.cases.forms import AttachmentsField
from ombud.cases.models import Attachment, Case, Status
from ombud.cases.queries import access_log_of, cases_visible_to, dashboard_order, reports_taken_by
from ombud.cases.services import escalation, grants, work
from ombud.events.services import events_managed_by
from ombud.notify import worker
from ombud.notify.models import OutboxMessage
from ombud.staff import rota
from ombud.staff import rules as staff_rules
from ombud.staff.models import Role
from ombud.staff.queries import memberships_of
from ombud.vault.errors import KeyUnavailable
from ombud.web.forms import Form
from ombud.web.responses import download

DASHBOARD_LIMIT = 200


@login_required
def dashboard(request):
    user = request.user
    # Someone whose key opens cases others should read but cannot yet: open them.
    granted = grants.grant_pending(user)
    cases = dashboard_order(cases_visible_to(user).select_related("event", "escalation"))
    memberships = list(memberships_of(user))
    lead_of = [m.event for m in memberships if m.is_lead and m.is_acknowledged]
    rota_events = [m.event for m in memberships if staff_rules.may_manage_rota(user, m.event)]
    taken = reports_taken_by(user).select_related("case", "event").order_by("-received_at")
    context = {
        "cases": cases[:DASHBOARD_LIMIT],
        "memberships": memberships,
        "unacknowledged": [m for m in memberships if not m.is_acknowledged],
        "outdated": [m for m in memberships if m.is_acknowledged and not m.is_current],
        "taken": taken[:50],
        "managed_events": events_managed_by(user),
        "rota": [(event, rota.on_duty_now(event), len(rota.gaps(event))) for event in rota_events],
        "granted": granted,
    }
    if lead_of:
        visible = cases_visible_to(user).filter(event__in=lead_of).values("pk")
        context["dead_letters"] = (
            OutboxMessage.objects.filter(state=OutboxMessage.State.DEAD, subject_id__in=visible)
            .select_related("channel", "recipient")
            .order_by("-created_at")[:50]
        )
        context["worker"] = worker.health()
    return render(request, "cases/dashboard.html", context)


@login_required
@require_POST
def retry_alert(request, message_id):
    """A lead sends a dead-lettered alert about a case they work on again."""
    message = get_object_or_404(
        OutboxMessage,
        pk=message_id,
        state=OutboxMessage.State.DEAD,
        subject_id__in=cases_visible_to(request.user).values("pk"),
    )
    case = Case.objects.select_related("event").get(pk=message.subject_id)
    if not rules.is_lead(request.user, case.event):
        raise Http404
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk, state=OutboxMessage.State.DEAD).update(
            state=OutboxMessage.State.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            last_error="",
        )
        audit.record(request.user, "alert.retried", message, event_id=case.event_id)
    messages.success(request, _("The alert will be sent again in a moment."))
    return redirect("cases:dashboard")


class StatusForm(Form):
    status = forms.ChoiceField(choices=Status.choices)
    version = forms.IntegerField(min_value=1)


class TextForm(Form):
    text = forms.CharField(max_length=work.TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 4}))


class NoteForm(TextForm):
    text = forms.CharField(
        label=gettext_lazy("Internal note"),
        max_length=work.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Seen only by the response team, never by the reporter."),
    )
    attachments = AttachmentsField(label=gettext_lazy("Attach photos or files (optional)"))


class MessageForm(TextForm):
    text = forms.CharField(
        label=gettext_lazy("Message to the reporter"),
        max_length=work.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("The reporter reads this with their receipt."),
    )


_ACTIONS = {"status": StatusForm, "note": NoteForm, "message": MessageForm}
_DONE = {
    "status": gettext_lazy("Status changed."),
    "note": gettext_lazy("Note added."),
    "message": gettext_lazy("Message sent to the reporter."),
}


def _act(case, action, form, user):
    data = form.cleaned_data
    if action == "status":
        work.change_status(case, data["status"], by=user, expected_version=data["version"])
    elif action == "note":
        work.add_note(case, data["text"], by=user, files=data["attachments"])
    else:
        work.message_reporter(case, data["text"], by=user)


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def detail(request, case_id):
    case = get_object_or_404(cases_visible_to(request.user).select_related("event"), pk=case_id)
    forms_by_action = {"note": NoteForm(), "message": MessageForm()}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        form_class = _ACTIONS.get(action)
        if form_class is None:
            messages.error(request, _("Unknown action."))
            return redirect("cases:detail", case_id=case.pk)
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                _act(case, action, form, request.user)
            except KeyUnavailable:
                return redirect("cases:detail", case_id=case.pk)  # the GET explains
            except work.CaseActionError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _DONE[action])
                return redirect("cases:detail", case_id=case.pk)
        forms_by_action[action] = form
        status = 400
        case.refresh_from_db()
    try:
        case_file = work.open_case(case, by=request.user)
    except KeyUnavailable as exc:
        return render(
            request,
            "cases/locked.html",
            {
                "case": case,
                "event": case.event,
                "why": str(exc),
                "signed_in_without_key": not getattr(request.user, "vault_private", b""),
            },
            status=409,
        )
    grants.grant_pending(request.user, limit=1)
    access_log = access_log_of(case) if case_file.role == Role.LEAD else None
    escalation_state = escalation.state_of(case) if case.status == Status.NEW else None
    return render(
        request,
        "cases/detail.html",
        {
            "file": case_file,
            "case": case,
            "event": case.event,
            "event_zone": case.event.zone,
            "note_form": forms_by_action["note"],
            "message_form": forms_by_action["message"],
            "escalation": escalation_state,
            "access_log": access_log,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def attachment(request, case_id, attachment_id):
    """A file of a case, always as a download; 404 for anyone who may not read the case."""
    case = get_object_or_404(cases_visible_to(request.user).select_related("event"), pk=case_id)
    try:
        opened = work.open_attachment(case, attachment_id, by=request.user)
    except Attachment.DoesNotExist:
        raise Http404 from None
    except KeyUnavailable:
        return redirect("cases:detail", case_id=case.pk)  # the case page explains
    return download(opened)
