"""The case page, its printable summary and its files. Thin: the door
(``services.access``) decides who may read, the action table (``cases.actions``)
says what each form does, rules decide what is offered."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ombud.attendees import services as attendees
from ombud.cases import rules
from ombud.cases.actions import ACTIONS, section_tag, sections_tagged
from ombud.cases.models import Attachment, Message, Status
from ombud.cases.queries import access_log_of
from ombud.cases.services import access, escalation, grants, links, respondents, team, work
from ombud.vault.errors import KeyUnavailable
from ombud.web.responses import download

# The forms the case page shows, each with ids of its own: several have a "text" field.
_PAGE_FORMS = ("note", "message", "interim", "safety", "status", "account", "link", "respondent")


def _ids(action: str) -> str:
    return f"{action}_%s"


def _declaration_page(request, case, *, status=200):
    """Nothing but the code name until they say they have no conflict of interest."""
    acknowledging = (
        request.method == "POST"
        and request.POST.get("action") == "status"
        and request.POST.get("status") == Status.ACKNOWLEDGED
    )
    context = {"case": case, "event": case.event, "acknowledging": acknowledging}
    return render(request, "cases/declare.html", context, status=status)


def _locked_page(request, case, why: str):
    context = {
        "case": case,
        "event": case.event,
        "why": why,
        "signed_in_without_key": not getattr(request.user, "vault_private", b""),
    }
    return render(request, "cases/locked.html", context, status=409)


def _handle_post(request, case):
    """A response when the action was taken, refused outright or needs the declaration
    first; otherwise the action and its form, bound, with the errors (a service's
    refusal among them) to show again: nothing typed is lost."""
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("Unknown action."))
        return redirect("cases:detail", case_id=case.pk), None
    if not action.before_declaration and not access.may_read(request.user, case):
        return _declaration_page(request, case, status=409), None
    form = action.form(request.POST, request.FILES, auto_id=_ids(action.name))
    if form.is_valid():
        done = _run(request, case, action, form)
        if done is not None:
            return done, None
    return None, (action, form)


def _run(request, case, action, form):
    try:
        action.run(case, form.cleaned_data, request.user)
    except KeyUnavailable:
        return redirect("cases:detail", case_id=case.pk)  # the GET explains
    except work.CaseActionError as exc:
        form.add_error(None, str(exc))
        return None
    if action.leaves_case(form.cleaned_data):
        messages.success(request, _("You are recused from %(case)s.") % {"case": case.code_name})
        return redirect("cases:dashboard")
    messages.success(request, action.done, extra_tags=section_tag(action.section))
    return redirect("cases:detail", case_id=case.pk)


def _opened_sections(request, failed) -> set[str]:
    """The disclosure sections shown open: the one whose form has errors, and the one
    an action just went through (its message says which)."""
    opened = {tag for m in get_messages(request) for tag in sections_tagged(m.extra_tags)}
    if failed is not None:
        opened.add(failed[0].section)
    return opened


def _awaiting_reply(case_file) -> bool:
    """The reporter wrote last: answering them is the next thing to do."""
    return bool(case_file.messages) and (
        case_file.messages[-1].message.direction == Message.Direction.FROM_REPORTER
    )


def _reply_due(case_file) -> bool:
    """Nobody has written to the reporter yet, or they wrote last: the conversation is
    where the next step is, so it is shown open."""
    return _awaiting_reply(case_file) or not any(
        item.message.direction == Message.Direction.TO_REPORTER for item in case_file.messages
    )


def _visible_or_404(user, case_id):
    try:
        return access.visible_case(user, case_id, related=("event", "owner"))
    except access.CaseNotFound:
        raise Http404 from None


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def detail(request, case_id):
    user = request.user
    case = _visible_or_404(user, case_id)
    page_forms = {name: ACTIONS[name].form(auto_id=_ids(name)) for name in _PAGE_FORMS}
    status = 200
    failed = None
    if request.method == "POST":
        done, failed = _handle_post(request, case)
        if done is not None:
            return done
        action, form = failed
        if action.name in page_forms:
            page_forms[action.name] = form  # shown with its errors, nothing typed lost
        status = 400
        case.refresh_from_db()
    try:
        access.ensure_readable(user, case)
        case_file = work.open_case(case, by=user)
    except access.DeclarationRequired:
        return _declaration_page(request, case, status=status)
    except KeyUnavailable as exc:
        return _locked_page(request, case, str(exc))
    grants.grant_pending(user, limit=1)
    perms = rules.case_permissions(user, case)
    context = {
        "file": case_file,
        "case": case,
        "event": case.event,
        "event_zone": case.event.zone,
        "perms": perms,
        **{f"{name}_form": form for name, form in page_forms.items()},
        "event_categories": list(case.event.categories.all()),
        "case_categories": set(case.categories.values_list("pk", flat=True)),
        # Who each recorded respondent is on the event's attendee and speaker lists.
        "respondents_listed": attendees.for_respondents(case.event, case_file.respondents),
        "history": respondents.history(case, user)
        if perms.may_see_repeat_reports and case_file.respondents
        else None,
        "linked": links.linked_for(case, user),
        "escalation": escalation.state_of(case) if case.status == Status.NEW else None,
        "access_log": access_log_of(case) if perms.may_see_access_log else None,
        "owner_left": rules.owner_left(case),
        "helpers": list(case.helpers.all()),
        "eligible": team.eligible_workers(case) if perms.may_assign or perms.may_add_helper else [],
        "reviewable": {
            action.pk
            for action, _text in case_file.interim_actions
            if not action.reviewed_at and not rules.why_not_review_interim(user, action)
        },
        "referral_wanted": team.referral_wanted(case),
        "closing_needed": work.reporter_reachable(case),
        "failed_form": failed[1] if failed else None,
        "opened": _opened_sections(request, failed),
        "awaiting_reply": _awaiting_reply(case_file),
        "reply_due": _reply_due(case_file),
        "deadlines": case_file.deadlines(),
        "now": timezone.now(),
    }
    return render(request, "cases/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def summary(request, case_id):
    """The case on one printable page, marked confidential: for its leads; audited."""
    case = access.readable_case(request.user, case_id, related=("event", "owner"))
    if not rules.may_export(request.user, case):
        raise Http404
    try:
        case_file = work.export(case, by=request.user)
    except KeyUnavailable:
        return redirect("cases:detail", case_id=case.pk)  # the case page explains
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
    case = access.readable_case(request.user, case_id)
    try:
        opened = work.open_attachment(case, attachment_id, by=request.user)
    except Attachment.DoesNotExist:
        raise Http404 from None
    except KeyUnavailable:
        return redirect("cases:detail", case_id=case.pk)  # the case page explains
    return download(opened)
