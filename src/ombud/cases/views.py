"""The staff side: the dashboard and the case page. Thin: queries decide what
may be seen, services do the work."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Exists, OuterRef
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
from ombud.cases.models import Account, Attachment, Case, CaseLink, SafetyStep, Status
from ombud.cases.queries import (
    access_log_of,
    cases_visible_to,
    dashboard_cases,
    reports_taken_by,
)
from ombud.cases.services import (
    categories,
    escalation,
    grants,
    links,
    overview,
    promises,
    respondents,
    team,
    work,
)
from ombud.events.models import Event
from ombud.events.services import events_managed_by
from ombud.notify import worker
from ombud.notify.models import OutboxMessage
from ombud.staff import rota
from ombud.staff import rules as staff_rules
from ombud.staff.models import CASE_ROLES, Role
from ombud.staff.queries import memberships_of
from ombud.vault.errors import KeyUnavailable
from ombud.web.forms import Form, posted
from ombud.web.responses import download

# The dashboard shows the most pressing cases; "more" shows a longer list.
DASHBOARD_LIMIT = 50
DASHBOARD_MORE = 500


@login_required
def dashboard(request):
    user = request.user
    # Someone whose key opens cases others should read but cannot yet: open them.
    granted = grants.grant_pending(user)
    cases = promises.attach_last_update(
        dashboard_cases(
            cases_visible_to(user).select_related("event", "escalation", "owner"),
            DASHBOARD_MORE if request.GET.get("more") else DASHBOARD_LIMIT + 1,
        )
    )
    has_more = not request.GET.get("more") and len(cases) > DASHBOARD_LIMIT
    cases = cases[:DASHBOARD_LIMIT] if has_more else cases
    now = timezone.now()
    for case in cases:
        case.overdue = promises.overdue(case, now)
    memberships = list(memberships_of(user))
    lead_of = [m.event for m in memberships if m.is_lead and m.is_acknowledged]
    # Who is on duty matters for events on now or soon, not for last year's.
    rota_events = [
        m.event
        for m in memberships
        if m.event.ends_on >= timezone.localdate() - timedelta(days=1)
        and staff_rules.may_manage_rota(user, m.event)
    ]
    taken = reports_taken_by(user).select_related("case", "event").order_by("-received_at")
    context = {
        "cases": cases,
        "has_more": has_more,
        "to_review": team.interim_actions_awaiting_review(cases_visible_to(user))[:50],
        "now": now,
        "memberships": memberships,
        # Actions for events on now, soon or just over; not for every past one.
        "current": [
            m
            for m in memberships
            if m.is_acknowledged and m.event.ends_on >= timezone.localdate() - timedelta(days=7)
        ],
        "unacknowledged": [m for m in memberships if not m.is_acknowledged],
        "outdated": [m for m in memberships if m.is_acknowledged and not m.is_current],
        "taken": taken[:50],
        "managed_events": events_managed_by(user),
        "rota": [(event, rota.on_duty_now(event), len(rota.gaps(event))) for event in rota_events],
        "granted": granted,
    }
    if lead_of:
        visible = cases_visible_to(user).filter(event__in=lead_of, pk=OuterRef("subject_id"))
        context["dead_letters"] = (
            OutboxMessage.objects.filter(state=OutboxMessage.State.DEAD)
            .filter(Exists(visible))
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
    message = forms.CharField(
        label=gettext_lazy("Closing message to the reporter"),
        max_length=work.TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What was decided or done, as the reporter may know it."),
    )


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


class InterimForm(TextForm):
    text = forms.CharField(
        label=gettext_lazy("Action taken on the spot"),
        max_length=work.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "E.g. a verbal warning, or asking someone to leave a talk. The team reviews it "
            "within 24 hours."
        ),
    )


class DeclareForm(Form):
    choice = forms.ChoiceField(choices=[("no_conflict", ""), ("conflict", "")])


class PersonForm(Form):
    person = forms.IntegerField(label=gettext_lazy("Who"), min_value=1)
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class SafetyForm(Form):
    step = forms.ChoiceField(choices=SafetyStep.Kind.choices)
    reason = forms.CharField(
        label=gettext_lazy("Why someone is in danger now"),
        max_length=team.REASON_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "Needed for security or the police when the reporter did not ask for them."
        ),
    )


class AccountForm(Form):
    given_by = forms.ChoiceField(
        label=gettext_lazy("Whose account"), choices=Account.GivenBy.choices
    )
    person = forms.CharField(
        label=gettext_lazy("Their name or how to tell them apart (optional)"),
        max_length=200,
        required=False,
    )
    text = forms.CharField(
        label=gettext_lazy("What they said"),
        max_length=work.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class RespondentForm(Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    badge = forms.CharField(label=gettext_lazy("Badge number"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=200, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LinkForm(Form):
    code_name = forms.CharField(
        label=gettext_lazy("Code name of the other case"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("How they are linked"),
        choices=CaseLink.Kind.choices,
        widget=forms.RadioSelect,
        initial=CaseLink.Kind.DUPLICATE,
    )


class IdsField(forms.Field):
    """Checked boxes, as a list of ids: the case page draws the boxes itself."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return [int(v) for v in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError(gettext_lazy("Choose among the listed ones.")) from None


class VersionForm(Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class CategoriesForm(VersionForm):
    categories = IdsField()


class ReviewForm(Form):
    interim = forms.UUIDField()


_ACTIONS = {
    "status": StatusForm,
    "note": NoteForm,
    "message": MessageForm,
    "declare": DeclareForm,
    "recuse": Form,
    "owner": PersonForm,
    "take": VersionForm,
    "helper": PersonForm,
    "safety": SafetyForm,
    "interim": InterimForm,
    "review": ReviewForm,
    "account": AccountForm,
    "link": LinkForm,
    "respondent": RespondentForm,
    "categories": CategoriesForm,
}
_DONE = {
    "status": gettext_lazy("Status changed."),
    "note": gettext_lazy("Note added."),
    "message": gettext_lazy("Message sent to the reporter."),
    "declare": gettext_lazy("Thank you. The case is open to you."),
    "owner": gettext_lazy("Owner changed."),
    "take": gettext_lazy("The case is yours."),
    "helper": gettext_lazy("Helper added."),
    "safety": gettext_lazy("Safety step recorded."),
    "interim": gettext_lazy("Interim action recorded; the team will review it."),
    "review": gettext_lazy("Interim action reviewed."),
    "account": gettext_lazy("Account recorded."),
    "link": gettext_lazy("Cases linked."),
    "respondent": gettext_lazy("Person reported recorded."),
    "categories": gettext_lazy("Categories saved."),
}


def _person(data):
    person = get_user_model().objects.filter(pk=data["person"], is_active=True).first()
    if person is None:
        raise work.CaseActionError(_("That person cannot work on this case."))
    return person


def _declare(case, data, user):
    if data["choice"] == "no_conflict":
        team.declare_no_conflict(case, by=user)
    else:
        team.recuse_self(case, by=user)


# action -> what it does, given the case, the form's cleaned data and the user.
_DO = {
    "status": lambda case, data, user: work.change_status(
        case,
        data["status"],
        by=user,
        expected_version=data["version"],
        closing_message=data["message"],
    ),
    "note": lambda case, data, user: work.add_note(
        case, data["text"], by=user, files=data["attachments"]
    ),
    "message": lambda case, data, user: work.message_reporter(case, data["text"], by=user),
    "declare": _declare,
    "recuse": lambda case, data, user: team.recuse_self(case, by=user),
    "owner": lambda case, data, user: team.assign_owner(
        case, _person(data), by=user, expected_version=data["version"]
    ),
    "take": lambda case, data, user: team.assign_owner(
        case, user, by=user, expected_version=data["version"]
    ),
    "helper": lambda case, data, user: team.add_helper(case, _person(data), by=user),
    "safety": lambda case, data, user: team.record_safety_step(
        case, data["step"], by=user, danger_reason=data["reason"]
    ),
    "interim": lambda case, data, user: team.record_interim_action(case, data["text"], by=user),
    "review": lambda case, data, user: team.review_interim_action(case, data["interim"], by=user),
    "account": lambda case, data, user: work.record_account(
        case, data["given_by"], data["text"], by=user, person=data["person"]
    ),
    "link": lambda case, data, user: links.link(case, data["code_name"], data["kind"], by=user),
    "respondent": lambda case, data, user: respondents.record(case, by=user, **data),
    "categories": lambda case, data, user: categories.set_for_case(
        case, data["categories"], by=user, expected_version=data["version"]
    ),
}


def _act(case, action, form, user):
    _DO[action](case, form.cleaned_data, user)


def _left_the_case(action, form) -> bool:
    return action == "recuse" or (
        action == "declare" and form.cleaned_data["choice"] != "no_conflict"
    )


def _ids(action: str) -> str:
    # Several forms on the case page have a "text" field: their ids must differ.
    return f"{action}_%s"


def _handle_post(request, case, forms_by_action):
    """A redirect when the action was taken (or refused with a message); else None,
    with the invalid form left in ``forms_by_action`` to show its errors."""
    action = request.POST.get("action", "")
    form_class = _ACTIONS.get(action)
    if form_class is None:
        messages.error(request, _("Unknown action."))
        return redirect("cases:detail", case_id=case.pk)
    form = form_class(request.POST, request.FILES, auto_id=_ids(action))
    if not form.is_valid():
        forms_by_action[action] = form
        return None
    try:
        _act(case, action, form, request.user)
    except KeyUnavailable:
        return redirect("cases:detail", case_id=case.pk)  # the GET explains
    except work.CaseActionError as exc:
        messages.error(request, str(exc))  # shown with the form, nothing typed lost
        forms_by_action[action] = form
        return None
    if _left_the_case(action, form):
        # The case is gone for this person now.
        messages.success(request, _("You are recused from %(case)s.") % {"case": case.code_name})
        return redirect("cases:dashboard")
    messages.success(request, _DONE[action])
    return redirect("cases:detail", case_id=case.pk)


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def detail(request, case_id):
    case = get_object_or_404(
        cases_visible_to(request.user).select_related("event", "owner"), pk=case_id
    )
    forms_by_action = {
        "note": NoteForm(auto_id=_ids("note")),
        "message": MessageForm(auto_id=_ids("message")),
        "interim": InterimForm(auto_id=_ids("interim")),
        "safety": SafetyForm(auto_id=_ids("safety")),
        "status": StatusForm(auto_id=_ids("status")),
        "account": AccountForm(auto_id=_ids("account")),
        "link": LinkForm(auto_id=_ids("link")),
        "respondent": RespondentForm(auto_id=_ids("respondent")),
    }
    status = 200
    if request.method == "POST":
        done = _handle_post(request, case, forms_by_action)
        if done is not None:
            return done
        status = 400
        case.refresh_from_db()
    if team.needs_declaration(case, request.user):
        # Nothing but the code name until they say they have no conflict.
        return render(
            request, "cases/declare.html", {"case": case, "event": case.event}, status=status
        )
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
            "interim_form": forms_by_action["interim"],
            "safety_form": forms_by_action["safety"],
            "status_form": forms_by_action["status"],
            "account_form": forms_by_action["account"],
            "link_form": forms_by_action["link"],
            "respondent_form": forms_by_action["respondent"],
            "event_categories": list(case.event.categories.all()),
            "case_categories": set(case.categories.values_list("pk", flat=True)),
            "history": respondents.history(case, request.user)
            if case_file.role == Role.LEAD and case_file.respondents
            else None,
            "linked": links.linked_for(case, request.user),
            "escalation": escalation_state,
            "access_log": access_log,
            "team": {
                "is_lead": case_file.role == Role.LEAD,
                "owner_left": team.owner_left(case),
                "helpers": list(case.helpers.all()),
                "eligible": team.eligible_workers(case),
                "referral_wanted": team.referral_wanted(case),
                "closing_needed": work.reporter_reachable(case),
            },
        },
        status=status,
    )


def _event_worked_by(request, slug, *, leads_only):
    event = get_object_or_404(Event, slug=slug)
    role = rules.role_in(request.user, event)
    if role not in CASE_ROLES or (leads_only and role != Role.LEAD):
        raise Http404
    return event


@login_required
@require_http_methods(["GET", "HEAD"])
def event_overview(request, slug):
    """Open, overdue, by status and category: the event at a glance, for its leads."""
    event = _event_worked_by(request, slug, leads_only=True)
    context = {
        "event": event,
        "event_zone": event.zone,
        "by_category": categories.counts(event, cases_visible_to(request.user)),
        **overview.overview(event, request.user),
    }
    return render(request, "cases/overview.html", context)


class EventCategoriesForm(Form):
    names = forms.CharField(
        label=gettext_lazy("Categories, one per line"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy(
            "The kinds of incident cases are filed under. A category some case already has "
            "is kept, at the end, when you remove it here."
        ),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def event_categories(request, slug):
    """The event's categories: for its organiser admins and its incident leads."""
    event = get_object_or_404(Event.objects.select_related("organisation"), slug=slug)
    if not (
        events_managed_by(request.user).filter(pk=event.pk).exists()
        or rules.is_lead(request.user, event)
    ):
        raise Http404
    current = "\n".join(event.categories.values_list("name", flat=True))
    form = EventCategoriesForm(posted(request), initial={"names": current})
    if request.method == "POST" and form.is_valid():
        try:
            kept = categories.set_for_event(
                event, form.cleaned_data["names"].splitlines(), by=request.user
            )
        except work.CaseActionError as exc:
            form.add_error("names", str(exc))
        else:
            messages.success(request, _("Categories saved."))
            if kept:
                messages.info(
                    request,
                    _("Kept because cases have them: %(names)s") % {"names": ", ".join(kept)},
                )
            return redirect("cases:categories", slug=event.slug)
    return render(
        request,
        "cases/categories.html",
        {"event": event, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def handover(request, slug):
    """For the next shift: what happened on the cases lately, and what is open."""
    event = _event_worked_by(request, slug, leads_only=False)
    try:
        hours = min(max(int(request.GET.get("hours", overview.HANDOVER_HOURS)), 1), 72)
    except ValueError:
        hours = overview.HANDOVER_HOURS
    context = {
        "event": event,
        "event_zone": event.zone,
        **overview.handover(event, request.user, hours=hours),
    }
    return render(request, "cases/handover.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def summary(request, case_id):
    """The case on one printable page, marked confidential: for its leads; audited."""
    case = get_object_or_404(
        cases_visible_to(request.user).select_related("event", "owner"), pk=case_id
    )
    if not rules.is_lead(request.user, case.event) or team.needs_declaration(case, request.user):
        raise Http404
    try:
        case_file = work.open_case(case, by=request.user)
    except KeyUnavailable:
        return redirect("cases:detail", case_id=case.pk)  # the case page explains
    with transaction.atomic():
        audit.record(request.user, "case.exported", case, event_id=case.event_id)
    context = {
        "file": case_file,
        "case": case,
        "event": case.event,
        "event_zone": case.event.zone,
        "now": timezone.now(),
    }
    return render(request, "cases/summary.html", context)


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
