"""The reporter withdraws their report, from the follow-up page: first what it does,
in plain words, then a confirmation. The receipt travels in POST bodies only."""

from functools import wraps

from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from ombud.intake.context import event_context
from ombud.intake.forms import ReceiptForm
from ombud.records.forms import WithdrawForm
from ombud.records.services import withdrawal
from ombud.vault import receipts
from ombud.web import ratelimit
from ombud.web.i18n import speak_for_event


def withdrawn_page(request, event, *, status=200):
    """All a receipt shows once its report is withdrawn."""
    speak_for_event(request, event)
    return render(request, "records/withdrawn.html", event_context(event), status=status)


def withdrawn_first(view):
    """A receipt whose report was withdrawn shows that, and nothing else, wherever on
    the follow-up page it is sent (the follow-up view is wrapped in this)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            event = withdrawal.withdrawn_event(request.POST.get("receipt", "")[:80])
            if event is not None:
                return withdrawn_page(request, event)
        return view(request, *args, **kwargs)

    return wrapper


def _unknown(request, form):
    slow_down = ratelimit.exceeded("receipt-miss", request)
    ratelimit.hit("receipt-miss", request)
    if not slow_down:
        form.add_error("receipt", ReceiptForm.unknown_message)
    context = {"form": form, "slow_down": slow_down}
    return render(request, "intake/followup_start.html", context, status=429 if slow_down else 404)


@sensitive_post_parameters()
@require_POST
def withdraw(request):
    start = ReceiptForm(request.POST)
    if not start.is_valid():
        return render(request, "intake/followup_start.html", {"form": start}, status=400)
    try:
        report = withdrawal.find(start.cleaned_data["receipt"])
    except withdrawal.UnknownReceipt:
        return _unknown(request, start)
    event = report.case.event
    if report.case.expunged_at is not None:
        return withdrawn_page(request, event)
    form = WithdrawForm(request.POST if "confirm_step" in request.POST else None)
    if form.is_bound and form.is_valid():
        withdrawal.withdraw(form.cleaned_data["receipt"])
        return withdrawn_page(request, event)
    speak_for_event(request, event)
    context = {
        **event_context(event),
        "form": form,
        "receipt": receipts.display(receipts.normalise(start.cleaned_data["receipt"])),
        "keeps_decision": withdrawal.decision_stays(report.case),
    }
    return render(request, "records/withdraw.html", context, status=400 if form.is_bound else 200)
