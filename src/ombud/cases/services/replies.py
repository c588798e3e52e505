"""How a message from the team reaches the reporter outside the receipt page.

By default only a content-free notice goes out: by e-mail to an address in the
reporter's contact, by text to the number a text-message report came from. The text
itself goes out only when the reporter asked for it (``Report.replies_to``, set by
``reporter.choose_replies``): it is sealed into the outbox when the team member
writes it (``notify.envelope``), because the worker cannot open per-person cases,
and deleted from the outbox once delivered. A number is never in the outbox in the
clear; an e-mail address is, for the content-free notice only, until it is delivered
(as for every alert: ``notify.worker._record``).
"""

import functools
import re
from email.utils import formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ombud.cases.models import Channel, RepliesTo
from ombud.cases.services import recusal
from ombud.notify import envelope
from ombud.notify import services as notify
from ombud.notify.envelope import LOOP_HEADER
from ombud.notify.models import OutboxMessage

# The longest text a provider sends (Twilio: 1,600 characters, as several segments); a
# longer reply is cut, and the whole of it is always behind the receipt.
TEXT_LIMIT = 1600

_EMAIL = re.compile(r"[^\s<>(),;:\"']+@[^\s<>(),;:\"']+\.[^\s<>(),;:\"']+")


def _contact(report, opened) -> str:
    return recusal.report_fields(report, opened).get("contact", "")


def email_of(report, opened) -> str:
    """The e-mail address in the reporter's contact details, if they gave one."""
    found = _EMAIL.search(_contact(report, opened))
    if found is None:
        return ""
    try:
        validate_email(found.group(0))
        notify.validate_deliverable(found.group(0))
    except ValidationError:
        return ""
    return found.group(0)


def number_of(report, opened) -> str:
    """The number a text-message report came from (E.164); nothing for other channels:
    a number typed into a web form's contact is not proof that it receives texts."""
    if report.channel != Channel.SMS:
        return ""
    from ombud.intake.channels import inbound  # noqa: PLC0415 -- intake depends on cases

    return inbound.normalise_number(_contact(report, opened))


def offered(report, opened) -> list[str]:
    """Where this reporter may ask for the team's replies in full."""
    ways = []
    if email_of(report, opened):
        ways.append(RepliesTo.EMAIL.value)
    if number_of(report, opened) and text_channel(report.event_id) is not None:
        ways.append(RepliesTo.SMS.value)
    return ways


def _enabled_channel(event_id, kind: str):
    from ombud.intake.models import IntakeChannel  # noqa: PLC0415 -- intake depends on cases

    return (
        IntakeChannel.objects.filter(event_id=event_id, kind=kind, enabled=True)
        .order_by("pk")
        .first()
    )


def text_channel(event_id):
    """The event's enabled text-message number, through which texts to reporters go."""
    return _enabled_channel(event_id, "sms")


def reporting_address(event_id):
    """The event's enabled reporting address (a mail ``IntakeChannel``), if it has one."""
    return _enabled_channel(event_id, "mail")


def mail_headers(report, opened) -> dict:
    """From the event's reporting address, with a reply address that threads back to
    this report (``local+TOKEN@domain``) when the report has a thread token."""
    headers = {LOOP_HEADER: report.event.slug}
    address = reporting_address(report.event_id)
    if address is None:
        return headers
    headers["From"] = formataddr((report.event.name, address.address))
    token = recusal.thread_token(report, opened)
    if token:
        local, _at, domain = address.address.partition("@")
        headers["Reply-To"] = f"{local}+{token}@{domain}"
    return headers


def followup_url() -> str:
    """Where a reporter opens their report with the receipt, as a link in a message."""
    return settings.BASE_URL + _followup_path(get_resolver(get_urlconf()), get_script_prefix())


@functools.lru_cache(maxsize=8)
def _followup_path(resolver, prefix: str) -> str:
    # Every report's answer carries it: reversed once per URLconf and script prefix.
    return reverse("receipt:followup", urlconf=resolver.urlconf_name)


def reply_rows(case, report, opened, text: str) -> list[OutboxMessage]:
    """Unsaved outbox rows telling the reporter of a message: the text in full where
    they asked for it, else a content-free notice."""
    event = case.event
    address = email_of(report, opened)
    number = number_of(report, opened)
    with translation.override(report.language):
        if report.replies_to == RepliesTo.EMAIL and address:
            body = render_to_string(
                "cases/reply_in_full.txt",
                {"event_name": event.name, "text": text, "url": followup_url()},
            )
            subject = _("Re: your report to %(event)s") % {"event": event.name}
            return [
                envelope.to_reporter(
                    envelope.EMAIL,
                    address,
                    body,
                    subject=subject,
                    headers=mail_headers(report, opened),
                )
            ]
        channel = text_channel(event.pk) if number else None
        if channel is not None:
            if report.replies_to == RepliesTo.SMS:
                body = _("%(event)s team: %(text)s") % {"event": event.name, "text": text}
            else:
                body = _(
                    "The team at %(event)s has answered you. Read it with your receipt at %(url)s"
                ) % {"event": event.name, "url": followup_url()}
            return [
                envelope.to_reporter(
                    envelope.SMS, number, body[:TEXT_LIMIT], intake_channel_id=channel.pk
                )
            ]
    if address:
        # Content-free: the message itself waits behind the receipt.
        return notify.outbox_rows(
            OutboxMessage.Kind.REPORTER_MESSAGE,
            [(None, address)],
            event_name=event.name,
            path=reverse("receipt:followup"),
            language=report.language,
        )
    return []
