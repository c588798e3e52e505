"""Text messages to an event's number, whichever provider delivered them.

A first text opens a report; the receipt goes back by text through the outbox, in
the filing transaction (sealed, at least once, and a retried webhook finds its
delivery already recorded and queues nothing again). Later texts from the same
number join the reporter's case (``inbound.receive``) and get a short
acknowledgement that says nothing of the case.

Also the generic gateway (``POST /hooks/sms/<event>``), the provider-neutral shape
of the SMS alert channel turned around:

    POST /hooks/sms/<event>
    X-Ombud-Timestamp: <Unix seconds>
    X-Ombud-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" under the secret>
    {"id": "<the gateway's message id>", "from": "+15550100", "to": "+15550142",
     "text": "..."}

signed as Ombud's own signed webhooks are (``notify.channels.webhook``); a
timestamp more than five minutes away is refused, so a captured request cannot
be replayed later, and the id makes a retry within that window harmless.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ombud.cases.models import Channel, TimelineEntry
from ombud.cases.services import attachments, replies, timeline
from ombud.intake.channels import config as intake_config
from ombud.intake.channels import inbound, twilio
from ombud.notify import envelope
from ombud.notify.channels import sms
from ombud.notify.channels.webhook import REPLAY_WINDOW_SECONDS
from ombud.vault import receipts

# The longest text Twilio sends (as several segments).
FULL_LIMIT = 1600


def receipt_text(event, receipt: str) -> str:
    with translation.override(event.default_language):
        return _(
            "%(event)s code of conduct team: we received your report. Your receipt is "
            "%(receipt)s - keep it private. Text messages you send to this number are added "
            "to your report. Read our replies and add more with your receipt here: %(url)s"
        ) % {
            "event": event.name,
            "receipt": receipts.display(receipt),
            "url": replies.followup_url(),
        }


def added_text(event) -> str:
    with translation.override(event.default_language):
        return _("Thank you: your message was added to your report.")


def receive(channel, *, source_id: str, sender: str, text: str, files=()) -> inbound.Received:
    """File or add one text; the receipt of a new report is queued back to ``sender``."""

    def send_receipt(report, receipt, _token):
        # Queued in the filing transaction; the timeline says it went, never what it said.
        timeline.add(report.case, TimelineEntry.Kind.RECEIPT_SENT, via="sms")
        return [
            envelope.to_reporter(
                envelope.SMS,
                sender,
                receipt_text(channel.event, receipt),
                intake_channel_id=channel.pk,
            )
        ]

    arrival = inbound.Arrival(
        channel=channel,
        source_id=source_id,
        sender=sender,
        text=text,
        files=list(files),
        language=channel.event.default_language,
    )
    return inbound.receive(arrival, channel_value=Channel.SMS, on_filed=send_receipt)


def reply_for(channel, received: inbound.Received) -> str:
    """What goes back in the webhook's own answer: only a content-free acknowledgement
    of an addition. A new report's receipt travels through the outbox instead."""
    if received.repeated or received.outcome != inbound.InboundMessage.Outcome.ADDED:
        return ""
    return added_text(channel.event)


# --- The generic gateway --------------------------------------------------------------


def gateway_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def gateway_signed(channel, timestamp: str, body: bytes, given: str, *, now=None) -> bool:
    secret = intake_config.opened(channel).get("secret", "")
    sent_at = twilio.count(timestamp, digits=12)
    if not secret or not given or sent_at is None:
        return False
    if abs((now or time.time()) - sent_at) > REPLAY_WINDOW_SECONDS:
        return False
    expected = gateway_signature(secret, timestamp, body).encode()
    return hmac.compare_digest(expected, given.encode("utf-8", "replace"))


def send_by_gateway(session, message, sealed: dict, channel) -> None:
    """A reporter text sender (``notify.worker.reporter_text_senders["gateway"]``):
    the request the SMS alert channel makes (``notify.channels.sms``), from the
    event's number."""
    sms.post_text(session, message.id, sealed["to"], sealed["body"], **{"from": channel.address})


# --- The webhooks -----------------------------------------------------------------------


class Malformed(ValueError):
    """A request without what the provider always sends."""


class UnknownNumber(LookupError):
    """Sent to a number that is not this channel's."""


SENDER_LIMIT = 64
MAX_MEDIA = 10


def _sender(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > SENDER_LIMIT:
        raise Malformed("from")
    if not value.isprintable():
        raise Malformed("from")
    return value.strip()


def _ours(channel, to) -> None:
    if not isinstance(to, str) or inbound.normalise_number(to) != inbound.normalise_number(
        channel.address
    ):
        raise UnknownNumber("to")


def _media(channel, params, count: int) -> tuple[list, int]:
    """The files of an MMS, fetched from the provider's API only; (files, not kept)."""
    files, lost, total = [], 0, 0
    for index in range(count):
        url = params.get(f"MediaUrl{index}", "")
        try:
            data = twilio.fetch(channel, url, limit=settings.ATTACHMENT_MAX_BYTES)
            total += len(data)
            if total > settings.ATTACHMENT_MAX_TOTAL_BYTES or len(files) >= MAX_MEDIA:
                raise twilio.ProviderError("too large")
            files.append(attachments.check(SimpleUploadedFile(f"file-{index + 1}", data)))
        except (twilio.ProviderError, attachments.AttachmentRefused):
            lost += 1
    return files, lost


def from_twilio(channel, params) -> str:
    """Twilio's inbound-message webhook; the answer is TwiML."""
    sid = params.get("MessageSid", "")
    if not twilio.SID.match(sid):
        raise Malformed("MessageSid")
    sender = _sender(params.get("From"))
    _ours(channel, params.get("To"))
    count = twilio.count(params.get("NumMedia", "0") or "0", digits=3)
    if count is None or count > MAX_MEDIA:
        raise Malformed("NumMedia")
    if inbound.already(channel.kind, sid) is not None:
        return twilio.twiml()  # a retry: nothing fetched, filed or sent again
    files, lost = _media(channel, params, count)
    body = params.get("Body", "")
    if lost:
        with translation.override(channel.event.default_language):
            note = ngettext(
                "(%(count)d file sent with this text could not be kept.)",
                "(%(count)d files sent with this text could not be kept.)",
                lost,
            ) % {"count": lost}
        body = f"{body}\n\n{note}".strip()
    received = receive(channel, source_id=sid, sender=sender, text=body, files=files)
    reply = reply_for(channel, received)
    return twilio.twiml(twilio.tag("Message", twilio.text(reply)) if reply else "")


def from_gateway(channel, data) -> dict:
    """The generic gateway's JSON: ``{"id", "from", "to", "text"}``; answered in JSON."""
    if not isinstance(data, dict):
        raise Malformed("body")
    source_id, text = data.get("id"), data.get("text", "")
    if not isinstance(source_id, str) or not 0 < len(source_id) <= 200:
        raise Malformed("id")
    if not isinstance(text, str):
        raise Malformed("text")
    sender = _sender(data.get("from"))
    _ours(channel, data.get("to"))
    # A gateway's ids are its own: two events' gateways may both count from 1.
    scoped = f"gateway:{channel.pk}:{source_id}"
    received = receive(channel, source_id=scoped, sender=sender, text=text)
    return {
        "outcome": received.outcome,
        "repeated": received.repeated,
        "reply": reply_for(channel, received),
    }
