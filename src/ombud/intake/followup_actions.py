"""What the reporter does on the follow-up page besides reading and adding: confirm or
correct an account a staff member wrote down, choose how the team's replies reach
them. Each returns what the page then says; the services do the work."""

from ombud.cases.services import reporter
from ombud.intake.oral_forms import CorrectionForm


def _confirm(receipt, post) -> dict:
    try:
        reporter.confirm_account(receipt)
    except reporter.NothingToConfirm as refusal:
        return {"account_error": refusal.message}
    return {"account_done": "confirmed"}


def _correct(receipt, post) -> dict:
    form = CorrectionForm(post)
    if not form.is_valid():
        return {"correction_form": form}
    try:
        reporter.correct_account(receipt, form.cleaned_data["correction"])
    except reporter.NothingToConfirm as refusal:
        return {"account_error": refusal.message}
    return {"account_done": "corrected"}


def _replies(receipt, post) -> dict:
    try:
        reporter.choose_replies(receipt, post.get("via", "")[:8])
    except reporter.RepliesNotOffered:
        return {"replies_error": reporter.RepliesNotOffered.message}
    return {"replies_done": True}


_ACTIONS = {"confirm": _confirm, "correct": _correct, "replies": _replies}


def act(action: str, receipt: str, post) -> dict:
    """Do ``action`` with ``receipt``; the page's context for what happened."""
    do = _ACTIONS.get(action)
    return do(receipt, post) if do else {}


def failed(extra: dict) -> bool:
    """Whether the page shows a mistake (answered 400)."""
    form = extra.get("correction_form")
    invalid = form is not None and bool(form.errors)
    return invalid or bool(extra.get("account_error") or extra.get("replies_error"))
