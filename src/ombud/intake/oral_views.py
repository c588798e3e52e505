"""After a staff member took a report down: the reporter's receipt on their screen, to
print, or to send on by e-mail or text message to where the reporter says."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from ombud.cases.models import Report, TimelineEntry
from ombud.cases.services import oral
from ombud.intake.context import event_context
from ombud.intake.oral_forms import SendReceiptForm
from ombud.vault import receipts


def staff_receipt(
    request,
    event,
    report,
    receipt,
    *,
    repeated=False,
    nobody_alerted=False,
    sending=None,
    status=200,
):
    """The receipt page a staff member shows the reporter; ``sending``: the form just sent."""
    forms = {via: SendReceiptForm(via=via) for via in oral.VIA}
    sent = ""
    if sending is not None:
        if sending.errors:
            forms[sending.prefix] = sending
        else:
            sent = sending.prefix
    context = {
        **event_context(event),
        "switch_receipt": None,
        "receipt": receipts.display(receipt),
        "report": report,
        "repeated": repeated,
        "nobody_alerted": nobody_alerted,
        "staff_assisted": True,
        "email_form": forms["email"],
        "sms_form": forms["sms"] if oral.text_possible(event) else None,
        "sent": sent,
        "failed_form": sending if sending is not None and sending.errors else None,
    }
    return render(request, "intake/receipt.html", context, status=status)


@login_required
@sensitive_post_parameters()
@require_POST
def send_receipt(request, slug, report_id):
    """Send the reporter their receipt by e-mail or text, to the address or number they
    give: only the staff member who took the report, while the reporter is with them."""
    report = get_object_or_404(
        Report.objects.select_related("event", "case"), pk=report_id, event__slug=slug
    )
    if not oral.may_give_receipt(request.user, report):
        raise Http404
    receipt = receipts.normalise(request.POST.get("receipt", ""))
    if receipt is None or not receipts.matches(report.receipt_digest, receipt):
        raise Http404
    via = request.POST.get("via", "")
    if via not in oral.VIA or (via == "sms" and not oral.text_possible(report.event)):
        raise Http404
    form = SendReceiptForm(request.POST, via=via)
    if form.is_valid():
        try:
            oral.send_receipt(report, receipt, via, form.cleaned_data["to"], by=request.user)
        except oral.ReceiptNotSent as exc:
            form.add_error("to", str(exc))
    # As the page first said: whether anyone could be alerted when it was filed.
    alerted = (
        report.case.timeline.filter(kind=TimelineEntry.Kind.ALERT_QUEUED)
        .values_list("detail", flat=True)
        .first()
    )
    return staff_receipt(
        request,
        report.event,
        report,
        receipt,
        nobody_alerted=alerted is not None and not alerted.get("count"),
        sending=form,
        status=400 if form.errors else 200,
    )
