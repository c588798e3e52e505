"""What a channel received becomes a report, or joins the case of the reporter who
sent it, through the same intake service as a web report.

A delivery is recorded by the provider's id (a keyed hash, ``InboundMessage``) in
the same transaction as the report it filed, so a retried delivery - a provider
retrying a webhook, a mail server resending after a lost reply, an IMAP poll
after a crash - finds it and files nothing twice. Additions to an existing case
are sealed to the case's inbox (``vault.inbox``): whoever receives them cannot
open the case, and recusal reads them before anyone is alerted.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombud.cases.models import Message, Report, Status
from ombud.cases.services import attachments, reporter
from ombud.intake import services as intake
from ombud.intake.models import InboundMessage, IntakeChannel
from ombud.notify import services as notify
from ombud.vault import inbox, receipts

log = logging.getLogger(__name__)

# Later texts or calls from the same number join the reporter's case while it is open
# and for this long after it closed.
THREAD_AFTER_CLOSING = timedelta(days=30)
TEXT_LIMIT = intake.FIELD_LIMITS["what_happened"]


@dataclass
class Arrival:
    """One message as a channel received it, before anything is stored."""

    channel: IntakeChannel
    source_id: str  # the provider's own id: Message-ID, MessageSid, CallSid, RecordingSid
    sender: str  # the address or number it came from
    text: str
    files: list = field(default_factory=list)  # of attachments.CheckedFile
    language: str = ""
    # A reply to Ombud's own message names its report (intake.channels.mail).
    thread_token: str = ""
    danger_now: bool = False
    # Staff to keep away (usernames), as a reporter may ask: a hotline caller who said
    # the report is about a member of staff, or whoever handed their call on.
    exclude_staff: list = field(default_factory=list)


@dataclass
class Received:
    outcome: str  # an InboundMessage.Outcome
    report: Report | None = None
    receipt: str = ""  # only for a report filed just now, to send back to its reporter
    repeated: bool = False  # the same delivery again: nothing was stored this time
    reason: str = ""


def source_digest(channel_kind: str, source_id: str) -> str:
    return receipts.keyed_digest("inbound", f"{channel_kind}:{source_id}")


def contact_digest(channel_kind: str, sender: str) -> str:
    """The same person across a channel's messages: by address for mail, by number for
    texts and calls (a caller who texted before is the same reporter). Empty for a
    number that names nobody in particular (a hidden caller ID): such messages never
    join another's case."""
    if channel_kind == IntakeChannel.Kind.MAIL:
        return receipts.keyed_digest("contact", "mail:" + sender.strip().casefold())
    if not identifies_someone(sender):
        return ""
    return receipts.keyed_digest("contact", "phone:" + normalise_number(sender))


# What providers put in From for a withheld caller ID: shared by every hidden caller.
_HIDDEN_CALLER_NUMBERS = {"+266696687", "+7378742833", "+86282452253", "+8656696"}


def identifies_someone(number: str) -> bool:
    """A number one person can be reached at: 8 to 15 digits (E.164), not a placeholder
    a provider uses for every caller who hides their number ("Anonymous", +266696687)."""
    normalised = normalise_number(number)
    return 9 <= len(normalised) <= 16 and normalised not in _HIDDEN_CALLER_NUMBERS


def thread_digest(token: str) -> str:
    # As intake.services keeps it on the report.
    return receipts.keyed_digest("thread", token)


def normalise_number(number: str) -> str:
    digits = re.sub(r"[^0-9]", "", number or "")
    return f"+{digits}" if digits else ""


def already(channel_kind: str, source_id: str) -> InboundMessage | None:
    return (
        InboundMessage.objects.filter(source_digest=source_digest(channel_kind, source_id))
        .select_related("report")
        .first()
    )


def refuse(
    channel: IntakeChannel | None,
    source_id: str,
    reason: str,
    *,
    sender: str = "",
    kind: str = IntakeChannel.Kind.MAIL,
) -> Received:
    """Not a report (an auto-reply, a bounce, spam, too large...): counted for the leads,
    by reason, with nothing of its content or sender kept."""
    kind = channel.kind if channel is not None else kind
    digest = source_digest(kind, source_id)
    row = InboundMessage(
        source_digest=digest,
        channel=channel,
        event_id=channel.event_id if channel else None,
        received_at=timezone.now(),
        outcome=InboundMessage.Outcome.REFUSED,
        reason=reason,
        sender_digest=contact_digest(kind, sender) if sender else "",
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return Received(InboundMessage.Outcome.REFUSED, repeated=True, reason=reason)
    log.info("inbound message not filed: %s", reason)
    return Received(InboundMessage.Outcome.REFUSED, reason=reason)


def flooding(channel: IntakeChannel, sender: str) -> bool:
    """One sender past the hour's limit, filed or not (a mail bomb, a robot answering
    Ombud's replies, someone flooding the team with alerts): counted, not filed. Mail
    counts per reporting address; a number's texts and calls count together."""
    sender_digest = contact_digest(channel.kind, sender)
    if not sender_digest:
        return False
    recent = InboundMessage.objects.filter(
        sender_digest=sender_digest, received_at__gte=timezone.now() - timedelta(hours=1)
    )
    if channel.kind == IntakeChannel.Kind.MAIL:
        recent, limit = recent.filter(channel=channel), settings.INTAKE_MAIL_PER_SENDER_HOUR
    else:
        recent = recent.filter(event_id=channel.event_id)
        limit = settings.INTAKE_TEXTS_PER_SENDER_HOUR
    return recent.count() >= limit


def thread_of(arrival: Arrival) -> Report | None:
    """The report an arrival continues, if any: only from the address or number that
    report came from."""
    channel = arrival.channel
    sender = contact_digest(channel.kind, arrival.sender)
    if not sender:
        return None
    reports = Report.objects.select_related("case", "event").filter(
        event_id=channel.event_id, contact_digest=sender
    )
    if channel.kind == IntakeChannel.Kind.MAIL:
        # A new e-mail is a new report; only a reply to ours continues one.
        if not arrival.thread_token:
            return None
        return reports.filter(thread_digest=thread_digest(arrival.thread_token)).first()
    closed_before = timezone.now() - THREAD_AFTER_CLOSING
    live = reports.exclude(case__status=Status.CLOSED) | reports.filter(
        case__status=Status.CLOSED, case__updated_at__gte=closed_before
    )
    return live.order_by("-received_at").first()


def receive(arrival: Arrival, *, channel_value: str, on_filed=None) -> Received:
    """File an arrival as a new report, or add it to the reporter's case.

    ``channel_value``: the report's ``cases.Channel``. ``on_filed(report, receipt, token)``
    runs inside the filing transaction and returns unsaved outbox rows to queue with it
    (the message that carries the receipt back to the reporter); ``token`` is the
    report's thread token for a reply address (mail only)."""
    channel = arrival.channel
    seen = already(channel.kind, arrival.source_id)
    if seen is not None:
        return Received(seen.outcome, report=seen.report, repeated=True, reason=seen.reason)
    text = arrival.text.strip()
    if not text and not arrival.files:
        return refuse(channel, arrival.source_id, InboundMessage.Reason.EMPTY)
    if channel.kind != IntakeChannel.Kind.MAIL and flooding(channel, arrival.sender):
        # Mail is judged before this, with an answer to the sending server (intake.channels.mail).
        return refuse(
            channel, arrival.source_id, InboundMessage.Reason.FLOOD, sender=arrival.sender
        )
    report = thread_of(arrival)
    try:
        if report is not None and report.case.inbox_public_key:
            return _add(arrival, report, text)
        return _file(arrival, text, channel_value, on_filed)
    except IntegrityError:
        # The same delivery, at the same moment, from another process: it won.
        seen = already(channel.kind, arrival.source_id)
        if seen is None:
            raise
        return Received(seen.outcome, report=seen.report, repeated=True)


def _file(arrival: Arrival, text: str, channel_value: str, on_filed) -> Received:
    channel = arrival.channel
    token = receipts.new_receipt() if channel.kind == IntakeChannel.Kind.MAIL else ""
    data = intake.ReportInput(
        content={"what_happened": text[:TEXT_LIMIT], "contact": arrival.sender},
        danger_now=arrival.danger_now,
        channel=channel_value,
        language=arrival.language,
        attachments=list(arrival.files),
        contact_digest=contact_digest(channel.kind, arrival.sender),
        thread_token=token,
        exclude_staff=list(arrival.exclude_staff),
    )

    def record(report, receipt):
        InboundMessage(
            source_digest=source_digest(channel.kind, arrival.source_id),
            channel=channel,
            event_id=channel.event_id,
            received_at=report.received_at,
            outcome=InboundMessage.Outcome.FILED,
            report=report,
            sender_digest=data.contact_digest,
        ).save(force_insert=True)
        if on_filed is not None:
            notify.save(on_filed(report, receipt, token))

    submission = intake.submit_report(channel.event, data, within=record)
    return Received(InboundMessage.Outcome.FILED, submission.report, submission.receipt)


def _add(arrival: Arrival, report: Report, text: str) -> Received:
    """The reporter's addition, sealed to the case's inbox, through the same writer as an
    addition behind the receipt: named staff recused first."""
    case = report.case
    now = timezone.now()
    message = Message(
        case=case,
        report=report,
        direction=Message.Direction.FROM_REPORTER,
        created_at=now,
        via_inbox=True,
    )
    message.sealed = inbox.seal(
        case.inbox_public_key, case.pk, "message", message.pk, {"text": text[:TEXT_LIMIT]}
    )
    given = attachments.sealed_to_inbox(case, arrival.files, at=now, report=report)
    with transaction.atomic():
        InboundMessage(
            source_digest=source_digest(arrival.channel.kind, arrival.source_id),
            channel=arrival.channel,
            event_id=case.event_id,
            received_at=now,
            outcome=InboundMessage.Outcome.ADDED,
            report=report,
            sender_digest=contact_digest(arrival.channel.kind, arrival.sender),
        ).save(force_insert=True)
        reporter.add_sealed(
            report,
            (message, given, None),
            text,
            exclude_staff=arrival.exclude_staff,
            urgent=arrival.danger_now,
        )
    return Received(InboundMessage.Outcome.ADDED, report)
