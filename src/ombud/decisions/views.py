"""Decision actions from the case page (each redirects back to it with a message, or
shows its form again with the errors and all that was typed), the event's approval
rules, and the registration desk's ban-list check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ombud.cases.actions import section_tag
from ombud.cases.services import access, work
from ombud.cases.services.work import CaseActionError
from ombud.decisions import forms, rules
from ombud.decisions.models import Appeal, Consequence, Decision
from ombud.decisions.services import appeals, approval_rules, banlist, decide
from ombud.events.models import Event
from ombud.events.services import events_managed_by
from ombud.vault.errors import KeyUnavailable
from ombud.web import ratelimit
from ombud.web.forms import posted


def _visible_case(request, case_id):
    # Through the door: a case they may not see is a 404, one they have not declared
    # no conflict in sends them to the case page, which asks (cases.middleware).
    return access.readable_case(request.user, case_id)


def _decision_of(case, form) -> Decision:
    decision = Decision.objects.filter(case=case, pk=form.cleaned_data["decision"]).first()
    if decision is None:
        raise Http404
    decision.case = case
    return decision


def _back(case):
    return redirect("cases:detail", case_id=case.pk)


# Success keeps the case page's decision section open, so the change is in view.
_SECTION = section_tag("decision")


def _recorded_identity(request, case) -> dict:
    """Who was recorded as reported in the case, to offer in the propose form
    (reading it is reading the case: audited as such)."""
    try:
        return forms.recorded_identity(work.open_case(case, by=request.user).respondents)
    except KeyUnavailable:
        return {}


def _invalid(request, case):
    messages.error(request, _("Something was missing from that form. Please try again."))
    return _back(case)


def _rules_listed(event) -> list:
    event_rules = rules.rules_for(event)
    return [(label, event_rules[value]) for value, label in Consequence.choices]


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def propose(request, case_id):
    """Propose a decision. A form with mistakes, or one the service refuses, comes back
    filled in, nothing lost; the respondent recorded in the case is offered."""
    case = _visible_case(request, case_id)
    if not rules.works_cases(request.user, case.event):
        raise Http404
    recorded = _recorded_identity(request, case)
    form = forms.ProposeForm(posted(request), initial=forms.propose_initial(recorded))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            decide.propose(
                case,
                by=request.user,
                consequence=data["consequence"],
                texts=form.texts(),
                identity=form.identity(),
                ban_until=data["ban_until"],
                show_to_reporter=data["show_to_reporter"],
            )
        except KeyUnavailable:
            return _back(case)  # the case page explains what is missing
        except CaseActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Decision proposed."), extra_tags=_SECTION)
            return _back(case)
    elif form.is_bound and recorded and form.has_error("respondent_name") and form.lacks_identity():
        form = form.offering(recorded)
    return render(
        request,
        "decisions/propose.html",
        {
            "case": case,
            "event": case.event,
            "form": form,
            "rules": _rules_listed(case.event),
            "prefilled": bool(recorded),
        },
        status=400 if form.is_bound else 200,
    )


def _decision_action(form_class, service, done, *, retry=None):
    """A decision action's view. With ``retry`` (its title), an action where something
    is typed shows its form again, everything kept, when it has mistakes or is refused."""

    @login_required
    @sensitive_post_parameters()
    @require_POST
    def view(request, case_id):
        case = _visible_case(request, case_id)
        form = form_class(request.POST)
        if not form.is_valid() and (retry is None or form.has_error("decision")):
            return _invalid(request, case)
        decision = _decision_of(case, form)
        if form.is_valid():
            try:
                service(decision, form, request.user)
            except KeyUnavailable:
                return _back(case)  # the case page explains what is missing
            except CaseActionError as exc:
                if retry is None:
                    messages.error(request, str(exc))
                    return _back(case)
                form.add_error(None, str(exc))
            else:
                messages.success(request, done, extra_tags=_SECTION)
                return _back(case)
        context = {"case": case, "event": case.event, "form": form, "title": retry}
        return render(request, "decisions/retry.html", context, status=400)

    return view


approve = _decision_action(
    forms.DecisionActionForm,
    lambda decision, _form, user: decide.approve(decision, by=user),
    gettext_lazy("Approved."),
)
make_final = _decision_action(
    forms.MakeFinalForm,
    lambda decision, form, user: decide.make_final(
        decision, by=user, expected_version=form.cleaned_data["version"]
    ),
    gettext_lazy("The decision is final."),
)
withdraw = _decision_action(
    forms.DecisionActionForm,
    lambda decision, _form, user: decide.withdraw(decision, by=user),
    gettext_lazy("Proposal withdrawn."),
)
appeal = _decision_action(
    forms.AppealForm,
    lambda decision, form, user: appeals.record(decision, form.cleaned_data["grounds"], by=user),
    gettext_lazy("Appeal recorded. It goes to reviewers who took no part in the decision."),
    retry=gettext_lazy("Record an appeal by the respondent"),
)


def _review(decision, form, user):
    appeal = Appeal.objects.filter(decision=decision).first()
    if appeal is None:
        raise decide.DecisionRefused(_("This decision has not been appealed."))
    data = form.cleaned_data
    appeals.review(appeal, data["outcome"], data["reasoning"], by=user)


review = _decision_action(
    forms.ReviewForm,
    _review,
    gettext_lazy("Appeal reviewed."),
    retry=gettext_lazy("Review the appeal"),
)

# The decision panel's actions on the case page, each with the same action in the API
# (the access matrix checks that every one exists; cases.actions lists the others).
_DECISION = "/api/v1/cases/{case_id}/decisions/{decision_id}"
API_OPERATIONS = {
    "decisions:propose": "POST /api/v1/cases/{case_id}/decisions",
    "decisions:approve": f"POST {_DECISION}/approve",
    "decisions:make_final": f"POST {_DECISION}/final",
    "decisions:withdraw": f"POST {_DECISION}/withdraw",
    "decisions:appeal": f"POST {_DECISION}/appeal",
    "decisions:review": f"POST {_DECISION}/appeal/review",
}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def approval_rules_page(request, slug):
    """Organiser admins set how many approvals each consequence needs at their event."""
    event = get_object_or_404(events_managed_by(request.user), slug=slug)
    form = forms.RulesForm(posted(request), current=rules.rules_for(event))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        approval_rules.save(
            event,
            {
                value: (data[f"{value}_approvals"], data[f"{value}_lead"])
                for value in rules.DEFAULTS
            },
            by=request.user,
        )
        messages.success(request, _("Decision rules saved."))
        return redirect("decisions:rules", slug=event.slug)
    return render(
        request,
        "decisions/rules.html",
        {"event": event, "form": form},
        status=400 if form.is_bound else 200,
    )


def _desk_event(request, slug):
    event = get_object_or_404(Event.objects.select_related("organisation"), slug=slug)
    if not rules.may_check_desk(request.user, event):
        raise Http404
    return event


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def desk_check(request, slug):
    """Answers only "No match" or "Ask an incident lead": never a case, reason or expiry."""
    event = _desk_event(request, slug)
    form = forms.DeskCheckForm(posted(request))
    answer = None
    status = 200
    if request.method == "POST":
        key = ratelimit.per_account(request.user)
        if ratelimit.exceeded(banlist.DESK_SCOPE, key):
            status = 429
        elif form.is_valid():
            ratelimit.hit(banlist.DESK_SCOPE, key)
            matched = banlist.desk_check(event, form.cleaned_data["who"], by=request.user)
            answer = banlist.ASK_A_LEAD if matched else banlist.NO_MATCH
            form = forms.DeskCheckForm()  # the next person in the queue
        else:
            status = 400
    return render(
        request,
        "decisions/desk_check.html",
        {"event": event, "form": form, "answer": answer, "slow_down": status == 429},
        status=status,
    )
