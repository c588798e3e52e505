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
from django.db.models import F
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


def _failed(message: OutboxMessage, exc: Exception, now) -> None:
    attempts = message.attempts + 1
    code = getattr(exc, "smtp_code", "")
    OutboxMessage.objects.filter(id=message.id, state=OutboxMessage.State.PENDING).update(
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        last_error=f"{type(exc).__name__} {code}".strip()[:200],
    )


def _record(outcomes) -> None:
    """One write transaction per batch: one turn at the writer lock, one fsync."""
    now = timezone.now()
    sent = [m for m, error in outcomes if error is None]
    with transaction.atomic():
        # Every claimed row was claimed at the same attempt count, so one update fits all.
        OutboxMessage.objects.filter(id__in=[m.id for m in sent]).update(
            state=OutboxMessage.State.SENT, sent_at=now, attempts=F("attempts") + 1, last_error=""
        )
        for message in sent:
            if message.kind in OutboxMessage.SECRET_LINK_KINDS:
                # A password link must not outlive its delivery in the database.
                OutboxMessage.objects.filter(id=message.id).update(
                    context={**message.context, "url": ""}
                )
        for message, error in outcomes:
            if error is not None:
                _failed(message, error, now)


def _send_all(messages: list[OutboxMessage]) -> list:
    """Send over one SMTP connection: (message, None) when accepted, else (message, error)."""
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except (OSError, smtplib.SMTPException) as exc:
        log.warning(
            "mail server unavailable (%s); %d alerts will be retried",
            type(exc).__name__,
            len(messages),
        )
        return [(message, exc) for message in messages]
    outcomes = []
    bodies = {}  # the recipients of one alert share its body: render it once
    try:
        for index, message in enumerate(messages):
            try:
                mail.send_messages([render_email(message, bodies)])
            except _PER_MESSAGE_ERRORS as exc:
                outcomes.append((message, exc))
            except (OSError, smtplib.SMTPException) as exc:
                outcomes += [(rest, exc) for rest in messages[index:]]
                log.warning(
                    "mail server dropped the connection (%s); %d alerts will be retried",
                    type(exc).__name__,
                    len(messages) - index,
                )
                break
            else:
                outcomes.append((message, None))
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            mail.close()
    return outcomes


def deliver(messages: list[OutboxMessage]) -> int:
    """Deliver a claimed batch; returns how many the mail server accepted."""
    if not messages:
        return 0
    outcomes = _send_all(messages)
    _record(outcomes)
    sent = sum(1 for _message, error in outcomes if error is None)
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
