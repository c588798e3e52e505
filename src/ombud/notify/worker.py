"""The delivery worker: claims due outbox rows, sends them, retries with back-off.

Delivery is at least once. A claim pushes a row's next attempt past a lease,
so a worker that dies mid-send leaves rows that fall due again by themselves;
the row id travels as the Message-ID, so a resend is recognisably the same.
"""

import contextlib
import logging
import random
import smtplib
import threading
from datetime import timedelta

from django.core.mail import get_connection
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from ombud.notify.models import OutboxMessage
from ombud.notify.services import render_email

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 50
MAX_BACKOFF_SECONDS = 120
_PER_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def backoff(attempts: int) -> timedelta:
    base = min(MAX_BACKOFF_SECONDS, 2 ** min(attempts, 16))
    return timedelta(seconds=base * random.uniform(0.5, 1.0))  # noqa: S311 -- jitter, not secrecy


def _due():
    return OutboxMessage.objects.filter(
        state=OutboxMessage.State.PENDING, next_attempt_at__lte=timezone.now()
    )


def claim(limit: int = BATCH) -> list[OutboxMessage]:
    # Look before taking the write lock: an idle worker must not stall writers.
    if not _due().exists():
        return []
    with transaction.atomic():
        due = _due().order_by("next_attempt_at")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        OutboxMessage.objects.filter(id__in=ids).update(next_attempt_at=timezone.now() + LEASE)
    return list(OutboxMessage.objects.filter(id__in=ids).order_by("created_at"))


def _failed(message: OutboxMessage, exc: Exception) -> None:
    attempts = message.attempts + 1
    code = getattr(exc, "smtp_code", "")
    OutboxMessage.objects.filter(id=message.id, state=OutboxMessage.State.PENDING).update(
        attempts=attempts,
        next_attempt_at=timezone.now() + backoff(attempts),
        last_error=f"{type(exc).__name__} {code}".strip()[:200],
    )


def _sent(message: OutboxMessage) -> None:
    now = timezone.now()
    changes = {}
    if message.kind in OutboxMessage.SECRET_LINK_KINDS:
        # A password link must not outlive its delivery in the database.
        changes["context"] = {**message.context, "url": ""}
    OutboxMessage.objects.filter(id=message.id).update(
        state=OutboxMessage.State.SENT,
        sent_at=now,
        attempts=message.attempts + 1,
        last_error="",
        **changes,
    )


def deliver(messages: list[OutboxMessage]) -> int:
    """Send over one SMTP connection; returns how many the server accepted."""
    if not messages:
        return 0
    sent = 0
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except (OSError, smtplib.SMTPException) as exc:
        for message in messages:
            _failed(message, exc)
        log.warning(
            "mail server unavailable (%s); %d alerts will be retried",
            type(exc).__name__,
            len(messages),
        )
        return 0
    try:
        for index, message in enumerate(messages):
            try:
                mail.send_messages([render_email(message)])
            except _PER_MESSAGE_ERRORS as exc:
                _failed(message, exc)
            except (OSError, smtplib.SMTPException) as exc:
                for rest in messages[index:]:
                    _failed(rest, exc)
                log.warning(
                    "mail server dropped the connection (%s); %d alerts will be retried",
                    type(exc).__name__,
                    len(messages) - index,
                )
                break
            else:
                _sent(message)
                sent += 1
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            mail.close()
    if sent:
        log.info("delivered %d alerts", sent)
    return sent


def deliver_due() -> int:
    return deliver(claim())


def run(stop: threading.Event, *, poll_interval: float = 0.2) -> None:
    log.info("worker started")
    while not stop.is_set():
        close_old_connections()
        try:
            busy = bool(deliver_due())
        except Exception:
            # A database hiccup must not end alerting; the rows stay due.
            log.exception("worker iteration failed; retrying")
            busy = False
        if not busy:
            stop.wait(poll_interval)
    close_old_connections()
    log.info("worker stopped")
