"""Giving the reporter their receipt after a staff member took their report down.

The receipt is shown once, on the staff member's screen. The reporter may take it
on paper (the printable slip on that page), or ask for it by e-mail or text message
to an address or number they give there and then: it goes out sealed
(``notify.envelope``) and the address or number is kept nowhere else - not on the
report, not in the timeline, not in the audit log.
"""

from datetime import timedelta
from email.utils import formataddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombud.audit import services as audit
from ombud.cases.models import TimelineEntry
from ombud.cases.services import replies, timeline
from ombud.notify import envelope
from ombud.notify import services as notify
from ombud.vault import receipts

# The staff member may send the receipt on while the reporter is still with them.
GIVING_WINDOW = timedelta(hours=1)
VIA = (envelope.EMAIL, envelope.SMS)


class ReceiptNotSent(Exception):
    """The receipt cannot go where asked; the message says why (never the address)."""


def may_give_receipt(user, report, *, now=None) -> bool:
    """Only the staff member who took the report, while the reporter is with them."""
    now = now or timezone.now()
    return (
        user.is_authenticated
        and report.taken_by_id == user.pk
        and now - report.received_at <= GIVING_WINDOW
    )


def text_possible(event) -> bool:
    return replies.text_channel(event.pk) is not None


def _address(to: str) -> str:
    address = (to or "").strip()
    try:
        validate_email(address)
        notify.validate_deliverable(address)
    except ValidationError:
        raise ReceiptNotSent(gettext_lazy("Enter an e-mail address.")) from None
    return address


def _number(to: str) -> str:
    from ombud.intake.channels import inbound  # noqa: PLC0415 -- intake depends on cases

    number = inbound.normalise_number(to)
    # E.164: a country code and the number, at most 15 digits; letters are not a number.
    if not (8 <= len(number) - 1 <= 15) or any(c.isalpha() for c in to):
        raise ReceiptNotSent(
            gettext_lazy("Enter the number with its country code, e.g. +1 202 555 0142.")
        )
    return number


def _row(report, receipt: str, via: str, to: str):
    event = report.event
    context = {
        "event": event,
        "receipt": receipts.display(receipt),
        "followup_url": replies.followup_url(),
        "oral": report.taken_orally,
    }
    with translation.override(report.language):
        if via == envelope.EMAIL:
            headers = {replies.LOOP_HEADER: event.slug}
            address = replies.reporting_address(event.pk)
            if address is not None:
                headers["From"] = formataddr((event.name, address.address))
            return envelope.to_reporter(
                envelope.EMAIL,
                _address(to),
                render_to_string("cases/receipt_message.txt", context),
                subject=_("Your receipt for your report to %(event)s") % {"event": event.name},
                headers=headers,
            )
        channel = replies.text_channel(event.pk)
        if channel is None:
            raise ReceiptNotSent(gettext_lazy("This event has no text-message number."))
        if report.taken_orally:
            body = _(
                "Your receipt for your report to %(event)s: %(receipt)s. With it you can read "
                "what was written down and confirm or correct it here: %(url)s"
            )
        else:
            body = _(
                "Your receipt for your report to %(event)s: %(receipt)s. Follow your report "
                "with it here: %(url)s"
            )
        body %= {"event": event.name, "receipt": context["receipt"], "url": context["followup_url"]}
        return envelope.to_reporter(envelope.SMS, _number(to), body, intake_channel_id=channel.pk)


def send_receipt(report, receipt_text: str, via: str, to: str, *, by) -> None:
    """Send the reporter their receipt by e-mail or text, to where they said."""
    if not may_give_receipt(by, report):
        raise ReceiptNotSent(
            gettext_lazy(
                "Only the staff member who took the report can send its receipt, within an "
                "hour of taking the report."
            )
        )
    if via not in VIA:
        raise ReceiptNotSent(gettext_lazy("Choose e-mail or text message."))
    receipt = receipts.normalise(receipt_text or "")
    # Only this report's own receipt: the form cannot be used to send anything else.
    if receipt is None or not receipts.matches(report.receipt_digest, receipt):
        raise ReceiptNotSent(gettext_lazy("That is not this report's receipt."))
    row = _row(report, receipt, via, to)
    with transaction.atomic():
        notify.save([row])
        timeline.add(report.case, TimelineEntry.Kind.RECEIPT_SENT, actor=by, via=via)
        audit.record(by, "receipt.sent", report, event_id=report.event_id)
