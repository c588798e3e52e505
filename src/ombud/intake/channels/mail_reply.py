"""The reply to someone who reported by e-mail: received, what happens next, and the
receipt with the link to read the team's answers - in the report's language, only
to the address the report came from (never to a Reply-To it names).

It is queued sealed (``notify.envelope``) in the transaction that files the report,
so a report is never filed without its reply, nor a reply sent for a report that
was not filed. Its reply address and Message-ID carry the report's thread token: a
reply to it joins the case (``mail.thread_token``).
"""

import secrets
from email.utils import formataddr

from django.template.loader import render_to_string
from django.utils import translation

from ombud.cases.models import TimelineEntry
from ombud.cases.services import replies, timeline
from ombud.intake.channels.mail import split_address
from ombud.notify import envelope
from ombud.vault import receipts


def reply_address(channel, token: str) -> str:
    """``local+TOKEN@domain`` of the channel's address."""
    local, _at, domain = split_address(channel.address)[0].rpartition("@")
    return f"{local}+{token.lower()}@{domain}"


def message_id(channel, token: str) -> str:
    domain = channel.address.rpartition("@")[2] or "ombud.invalid"
    return f"<ombud.{token}.{secrets.token_hex(8)}@{domain}>"


def receipt_reply(report, receipt: str, token: str, *, channel, sender: str, their_id: str) -> list:
    """Unsaved outbox rows (``inbound.receive``'s ``on_filed``)."""
    event = report.event
    language = report.language or event.default_language
    with translation.override(language):
        context = {
            "event": event,
            "receipt": receipts.display(receipt),
            "followup_url": replies.followup_url(),
            "what_happens_next": event.texts_in(language)["what_happens_next"],
            "ack_hours": event.ack_promise_hours_at(report.received_at),
        }
        subject = render_to_string("intake/mail/reply_subject.txt", context).strip()
        body = render_to_string("intake/mail/reply.txt", context)
    headers = {
        "From": formataddr((event.name, channel.address)),
        "Reply-To": reply_address(channel, token),
        "Message-ID": message_id(channel, token),
        "Auto-Submitted": "auto-replied",
        envelope.LOOP_HEADER: "1",
        "Content-Language": language,
    }
    if their_id:
        headers["In-Reply-To"] = their_id
        headers["References"] = their_id
    timeline.add(report.case, TimelineEntry.Kind.RECEIPT_SENT, at=report.received_at, via="email")
    return [
        envelope.to_reporter(
            envelope.EMAIL,
            sender,
            body,
            subject=subject,
            headers=headers,
            intake_channel_id=channel.pk,
        )
    ]
