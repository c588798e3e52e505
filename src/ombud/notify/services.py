"""Queueing alerts (inside the causing transaction) and rendering them.

Alerts are content-free by construction: a constant subject per kind, the
event's name, a link. No report field ever reaches this module.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.message import sanitize_address
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ombud.db import rows as db_rows
from ombud.notify import envelope, wakeup
from ombud.notify.channels import config as channel_config
from ombud.notify.models import AlertChannel, OutboxMessage

SUBJECTS = {
    OutboxMessage.Kind.NEW_REPORT: _("Ombud: a new report needs attention"),
    OutboxMessage.Kind.URGENT_REPORT: _("Ombud: URGENT report — someone may be in danger now"),
    OutboxMessage.Kind.REPORTER_ADDED: _("Ombud: a reporter added information"),
    OutboxMessage.Kind.STAFF_INVITE: _("Ombud: you were added to an event's staff"),
    OutboxMessage.Kind.PASSWORD_LINK: _("Ombud: set your password"),
    OutboxMessage.Kind.POLICY_CHANGED: _("Ombud: please read the updated code of conduct"),
    OutboxMessage.Kind.ESCALATION: _("Ombud: a report is still not acknowledged"),
    OutboxMessage.Kind.CHANNEL_TEST: _("Ombud: test alert — this channel works"),
    OutboxMessage.Kind.REPORTER_MESSAGE: _("A message is waiting for you"),
    OutboxMessage.Kind.OVERDUE: _("Ombud: a case is overdue"),
    OutboxMessage.Kind.KEY_REJECTED: _("Ombud: a key failed its check and was not used"),
    OutboxMessage.Kind.DIGEST: _("Ombud: several alerts in one"),
    OutboxMessage.Kind.REPORT_WITHDRAWN: _("Ombud: a reporter withdrew their report"),
}
# TO_REPORTER messages carry their own subject, sealed (notify.envelope).


def validate_deliverable(address: str) -> None:
    """Refuse an address the mail library could not put on an envelope.

    Django's e-mail validation accepts some (very long international) domains
    that fail at sending time; better to say so when the address is typed.
    """
    try:
        sanitize_address(address, "utf-8")
    except (ValueError, UnicodeError):
        raise ValidationError(
            _("This e-mail address cannot be delivered to."), code="undeliverable"
        ) from None


def _enabled_channels(user_ids: list) -> list:
    # Asked for every new report: a prepared query (db.rows), in the model's ordering.
    if not user_ids:
        return []
    marks = ", ".join(["%s"] * len(user_ids))
    return db_rows.select(
        AlertChannel,
        f"t.enabled AND t.user_id IN ({marks}) ORDER BY t.is_primary DESC, t.created_at, t.id",
        user_ids,
    )


def reach(people: dict, *, every_channel: bool) -> list[tuple]:
    """How to reach each person (user id -> account e-mail): (user id, address, channel id).

    Their primary channel, or every enabled channel they set up; their account
    e-mail when they have no channel (or, with every channel, as well).
    """
    channels: dict = {}
    for channel in _enabled_channels(list(people)):
        channels.setdefault(channel.user_id, []).append(channel)
    targets = []
    for user_id, email in people.items():
        own = channels.get(user_id, [])
        chosen = own if every_channel else [c for c in own if c.is_primary][:1]
        addresses = set()
        for channel in chosen:
            address = ""
            if channel.kind == AlertChannel.Kind.EMAIL:
                address = channel_config.open_config(channel)["target"]
                addresses.add(address.casefold())
            targets.append((user_id, address, channel.pk))
        if email and (not chosen or every_channel) and email.casefold() not in addresses:
            targets.append((user_id, email, None))
    return targets


def outbox_rows(
    kind: str, recipients, *, event_name: str, path: str, subject_id=None, language: str = ""
) -> list[OutboxMessage]:
    """Unsaved rows, one per (user id, address[, channel id]): built before the write lock.

    ``language``: the event's default language, for recipients who did not choose their
    own, or the language of the report for a notice to its reporter."""
    now = timezone.now()
    context = {"event_name": event_name, "url": settings.BASE_URL + path}
    if language:
        context["language"] = language
    return [
        OutboxMessage(
            kind=kind,
            recipient_id=user_id,
            address=address,
            channel_id=channel[0] if channel else None,
            subject_id=subject_id,
            context=context,
            created_at=now,
            next_attempt_at=now,
        )
        for user_id, address, *channel in recipients
    ]


def save(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Write the rows; must run in the transaction that causes them."""
    if not connection.in_atomic_block:
        raise RuntimeError("alerts are queued inside the transaction that causes them")
    if not rows:
        return []
    db_rows.insert(rows)
    wakeup.notify()
    return rows


def queue(
    kind: str, recipients, *, event_name: str, path: str, subject_id=None, language: str = ""
) -> list[OutboxMessage]:
    return save(
        outbox_rows(
            kind,
            recipients,
            event_name=event_name,
            path=path,
            subject_id=subject_id,
            language=language,
        )
    )


def language_of(outbox_message: OutboxMessage) -> str:
    """An alert speaks its recipient's own language, else the one it was queued with."""
    recipient = outbox_message.recipient if outbox_message.recipient_id else None
    chosen = recipient.language if recipient is not None else ""
    return chosen or outbox_message.context.get("language") or settings.LANGUAGE_CODE


def message_id(outbox_message: OutboxMessage) -> str:
    domain = settings.BASE_URL.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    return f"<{outbox_message.id}@{domain}>"


def render_email(outbox_message: OutboxMessage, bodies: dict | None = None) -> EmailMessage:
    """The e-mail for one outbox row; ``bodies`` caches rendered bodies across a batch."""
    if outbox_message.kind == OutboxMessage.Kind.TO_REPORTER:
        return _reporter_email(outbox_message)
    language = language_of(outbox_message)
    key = (outbox_message.kind, language, tuple(sorted(outbox_message.context.items())))
    cached = bodies.get(key) if bodies is not None else None
    if cached is None:
        with translation.override(language):
            cached = (
                str(SUBJECTS[outbox_message.kind]),
                render_to_string(f"notify/{outbox_message.kind}.txt", outbox_message.context),
            )
        if bodies is not None:
            bodies[key] = cached
    subject, body = cached
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[outbox_message.address],
        headers={"Message-ID": message_id(outbox_message), "Auto-Submitted": "auto-generated"},
    )


def _reporter_email(outbox_message: OutboxMessage) -> EmailMessage:
    sealed = envelope.opened(outbox_message)
    # The loop header: mail coming back with it is ours, not a report (intake.channels.mail).
    headers = {"Auto-Submitted": "auto-replied", envelope.LOOP_HEADER: "1", **sealed["headers"]}
    headers.setdefault("Message-ID", message_id(outbox_message))
    return EmailMessage(
        subject=sealed["subject"],
        body=sealed["body"],
        from_email=headers.pop("From", settings.DEFAULT_FROM_EMAIL),
        to=[sealed["to"]],
        headers=headers,
    )


def pending_count() -> int:
    return OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).count()
