"""Messages to a reporter that must carry something (their receipt, the team's reply
they asked for in full, the number or address they wrote from): sealed when written.

The envelope - where to, subject, text, mail headers - is sealed under a key derived
from the server key, because the worker that delivers it cannot open per-person
cases; it is deleted with the rest of the row's details once delivered
(``worker._record``). Nothing of it is in the clear in the outbox.
"""

import json

from django.conf import settings
from django.utils import timezone

from ombud.notify.models import OutboxMessage
from ombud.vault import crypto, keys

EMAIL, SMS = "email", "sms"
# Marks every mail Ombud sends a reporter, so a copy that comes back is not filed again.
LOOP_HEADER = "X-Ombud-Loop"


def _context(outbox_id) -> bytes:
    return f"ombud-envelope/1|{outbox_id}".encode()


def _key() -> bytes:
    return keys.load().derived("reporter envelope")


def to_reporter(
    via: str,
    to: str,
    body: str,
    *,
    subject: str = "",
    headers: dict | None = None,
    intake_channel_id: int | None = None,
) -> OutboxMessage:
    """An unsaved outbox row for one message to a reporter (save it with notify.save)."""
    if via not in (EMAIL, SMS):
        raise ValueError("a reporter is reached by e-mail or by text message")
    now = timezone.now()
    row = OutboxMessage(
        kind=OutboxMessage.Kind.TO_REPORTER,
        # Only how it goes and through which of the event's channels: never where to.
        context={"via": via, "intake_channel": intake_channel_id},
        created_at=now,
        next_attempt_at=now,
    )
    envelope = {"to": to, "subject": subject, "body": body, "headers": headers or {}}
    data = json.dumps(envelope, ensure_ascii=False).encode()
    row.sealed_envelope = crypto.seal(_key(), crypto.pad(data), _context(row.id))
    return row


def opened(message: OutboxMessage) -> dict:
    data = crypto.open_sealed(_key(), bytes(message.sealed_envelope), _context(message.id))
    return json.loads(crypto.unpad(data))


def via(message: OutboxMessage) -> str:
    return message.context.get("via", "") if message.kind == OutboxMessage.Kind.TO_REPORTER else ""


def from_address() -> str:
    return settings.DEFAULT_FROM_EMAIL
