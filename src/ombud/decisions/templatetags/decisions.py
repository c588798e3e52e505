"""``{% load decisions %}{% decision_panel %}``: the decision panel of a case page."""

from django import template

from ombud.cases.services import access
from ombud.decisions import forms
from ombud.decisions.services import panel
from ombud.vault.errors import VaultError

register = template.Library()


def _offered(context) -> dict:
    """The respondent recorded in the case (the case page opened it), offered in the
    propose form."""
    case_file = context.get("file")
    recorded = forms.recorded_identity(case_file.respondents) if case_file else {}
    return forms.propose_initial(recorded)


def _awaits(built) -> bool:
    """A proposal the reader may approve or make final, or an appeal to review."""
    return any(
        item.may_approve or item.may_make_final or (item.appeal and item.appeal.may_review)
        for item in built.decisions
    )


@register.inclusion_tag("decisions/panel.html", takes_context=True)
def decision_summary(context):
    """The same panel, read only: for the printable case summary."""
    shown = decision_panel(context)
    shown["printable"] = True
    built = shown.get("panel")
    if built is not None:
        built.may_propose, built.why_not = False, ""
        for item in built.decisions:
            item.may_approve = item.may_make_final = item.may_withdraw = item.may_appeal = False
            if item.appeal is not None:
                item.appeal.may_review = False
    return shown


@register.inclusion_tag("decisions/panel.html", takes_context=True)
def decision_panel(context):
    """Renders nothing for anyone who may not read the case (the door is asked again here)."""
    case, request = context.get("case"), context.get("request")
    empty = {"visible": False}
    if case is None or request is None:
        return empty
    if not access.may_read(request.user, case):
        return empty
    try:
        built = panel.build(case, request.user)
    except VaultError:
        return {"visible": True, "unavailable": True}
    return {
        "visible": True,
        # Folded on the case page unless the reader has something to do in it now.
        "open": "decision" in context.get("opened", ()) or _awaits(built),
        "panel": built,
        "case": case,
        "csrf_token": context.get("csrf_token"),
        "propose_form": forms.ProposeForm(auto_id="decision_%s", initial=_offered(context)),
        "appeal_form": forms.AppealForm(auto_id="appeal_%s"),
        "review_form": forms.ReviewForm(auto_id="review_%s"),
    }
