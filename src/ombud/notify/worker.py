"""The delivery worker: claims due outbox rows, sends them, retries with back-off.

Delivery is at least once. A claim pushes a row's next attempt past a lease,
so a worker that dies mid-send leaves rows that fall due again by themselves;
the row id travels as the Message-ID, so a resend is recognisably the same.
A row that keeps failing becomes a dead letter for the leads to see; one whose
recipient should no longer get it (recused meanwhile) is cancelled unsent.
"""

import contextlib
import functools
import logging
import os
import random
import smtplib
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import close_old_connections, connection, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone, translation

from ombud.db import rows as db_rows
from ombud.notify import coalesce, envelope, wakeup
from ombud.notify.channels import config as channel_config
from ombud.notify.channels import http as channel_http
from ombud.notify.channels.registry import SENDERS
from ombud.notify.models import AlertChannel, OutboxMessage, WorkerHeartbeat
from ombud.notify.services import language_of, render_email

log = logging.getLogger(__name__)

# Rows claimed at once: planning (notify.coalesce) costs per round, not per row, so a
# flood's backlog is sorted in a few rounds.
BATCH = 200
# How long a claim lasts (OMBUD_WORKER_LEASE); a worker still sending renews the claim
# on what it has not sent yet every BEAT_DURING_BATCH seconds, so a slow mail server
# does not make a second worker send the same rows again.
LEASE = timedelta(seconds=settings.WORKER_LEASE)
# How long, at most, between retries of one alert (OMBUD_WORKER_MAX_BACKOFF).
MAX_BACKOFF_SECONDS = settings.WORKER_MAX_BACKOFF
MAX_ATTEMPTS = 10
# smtplib's errors are all OSErrors: the ones about one message come first.
_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
_CONNECTION_ERRORS = (OSError,)

# Checks other apps register: each takes the claimed rows and returns the ids
# of those whose delivery is no longer wanted.
unwanted_checks: list = []
# Housekeeping other apps register, run every few seconds by the worker loop.
periodic_tasks: list = []


def backoff(attempts: int) -> timedelta:
    base = min(MAX_BACKOFF_SECONDS, 2 ** min(attempts, 16))
    return timedelta(seconds=base * random.uniform(0.5, 1.0))  # noqa: S311 -- jitter, not secrecy


def _due(now):
    return OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)


def claim(limit: int = BATCH, now=None) -> list[OutboxMessage]:
    now = now or timezone.now()
    # Look before taking the write lock: an idle worker must not stall writers.
    if not _due(now).exists():
        return []
    with transaction.atomic():
        due = _due(now).order_by("next_attempt_at")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        # Urgent reports first: in a flood, thousands of other alerts may be due.
        ids = list(
            due.filter(kind=OutboxMessage.Kind.URGENT_REPORT).values_list("id", flat=True)[:limit]
        )
        if len(ids) < limit:
            ids += list(due.exclude(id__in=ids).values_list("id", flat=True)[: limit - len(ids)])
        OutboxMessage.objects.filter(id__in=ids).update(
            next_attempt_at=now + LEASE, claimed_by=HEARTBEAT_NAME
        )
    # Recipients are loaded for what is sent (deliver): in a flood most rows are only
    # held for a digest, and a person's row costs more to build than the alert's own.
    return list(
        OutboxMessage.objects.filter(id__in=ids).select_related("channel").order_by("created_at")
    )


def _describe(exc: Exception) -> str:
    # Class and SMTP code only: error texts can quote addresses or more. Our own
    # delivery failures say what went wrong without either.
    if isinstance(exc, channel_http.DeliveryFailed):
        return f"DeliveryFailed: {exc}"[:200]
    code = getattr(exc, "smtp_code", "")
    return f"{type(exc).__name__} {code}".strip()[:200]


def _record(outcomes, cancelled) -> None:
    """One write transaction per batch: one turn at the writer lock, one fsync."""
    now = timezone.now()
    sent = [m for m, error in outcomes if error is None]
    with transaction.atomic():
        if sent:
            # A delivered alert keeps its id and time; who got it about which case
            # is no longer needed, and would say who was not recused.
            OutboxMessage.objects.filter(id__in=[m.id for m in sent]).update(
                state=OutboxMessage.State.SENT,
                sent_at=now,
                attempts=F("attempts") + 1,
                last_error="",
                claimed_by="",
                recipient=None,
                channel=None,
                address="",
                context={},
                sealed_envelope=None,
            )
        if cancelled:
            OutboxMessage.objects.filter(id__in=cancelled).update(
                state=OutboxMessage.State.CANCELLED,
                recipient=None,
                channel=None,
                address="",
                context={},
                sealed_envelope=None,
            )
        _channel_health(outcomes, now)
        for message, error in outcomes:
            if error is None:
                continue
            attempts = message.attempts + 1
            # An unreachable mail server is an outage, not this message's fault: it
            # is retried until the server is back, however long that takes.
            dead = attempts >= MAX_ATTEMPTS and not _is_outage(error)
            # A message to a reporter that can never be delivered keeps nothing of them.
            forget = {"sealed_envelope": None} if dead else {}
            OutboxMessage.objects.filter(id=message.id, state=OutboxMessage.State.PENDING).update(
                **forget,
                state=OutboxMessage.State.DEAD if dead else OutboxMessage.State.PENDING,
                attempts=attempts,
                claimed_by="",
                next_attempt_at=now + backoff(attempts),
                last_error=_describe(error),
            )
            if dead:
                log.error("alert %s failed %d times; it is now a dead letter", message.id, attempts)


def _is_outage(error) -> bool:
    return isinstance(error, OSError) and not isinstance(error, _MESSAGE_ERRORS)


def _channel_health(outcomes, now) -> None:
    """Each channel remembers its last success and failure, for its owner and the leads."""
    ok = {m.channel_id for m, error in outcomes if m.channel_id and error is None}
    failed = {m.channel_id: error for m, error in outcomes if m.channel_id and error is not None}
    if ok:
        AlertChannel.objects.filter(pk__in=ok).update(last_ok_at=now)
    for channel_id, error in failed.items():
        AlertChannel.objects.filter(pk=channel_id).update(
            last_failed_at=now, last_error=_describe(error)
        )


class _ClaimKeeper:
    """While a batch is being sent: every BEAT_DURING_BATCH seconds (half the lease if
    that is shorter) this worker says it is alive and renews its claim on the rows not
    sent yet."""

    def __init__(self):
        self.last = time.monotonic()

    def renew(self, unsent: list) -> None:
        # Well within the lease, however short an operator set it.
        if time.monotonic() - self.last <= min(BEAT_DURING_BATCH, LEASE.total_seconds() / 2):
            return
        now = timezone.now()
        beat(now)
        with transaction.atomic():
            OutboxMessage.objects.filter(
                id__in=[m.id for m in unsent], claimed_by=HEARTBEAT_NAME
            ).update(next_attempt_at=now + LEASE)
        self.last = time.monotonic()


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
    claim_kept = _ClaimKeeper()
    try:
        for index, message in enumerate(messages):
            claim_kept.renew(messages[index:])
            try:
                mail.send_messages([render_email(message, bodies)])
            except _MESSAGE_ERRORS as exc:
                outcomes.append((message, exc))
            except _CONNECTION_ERRORS as exc:
                outcomes += [(rest, exc) for rest in messages[index:]]
                log.warning(
                    "mail server dropped the connection (%s); %d alerts will be retried",
                    type(exc).__name__,
                    len(messages) - index,
                )
                break
            except Exception as exc:  # one bad message must not stop the rest
                outcomes.append((message, exc))
            else:
                outcomes.append((message, None))
    finally:
        # The batch is decided; closing the connection is courtesy.
        with contextlib.suppress(Exception):
            mail.close()
    return outcomes


def _send_http(messages: list[OutboxMessage]) -> list:
    """Chat, webhook and SMS channels, over one HTTP client."""
    outcomes = []
    claim_kept = _ClaimKeeper()
    with channel_http.client() as session:
        for index, message in enumerate(messages):
            claim_kept.renew(messages[index:])
            channel = message.channel
            try:
                if message.kind == OutboxMessage.Kind.TO_REPORTER:
                    _send_reporter_text(session, message)
                    outcomes.append((message, None))
                    continue
                config = channel_config.open_config(channel)
                with translation.override(language_of(message)):
                    SENDERS[channel.kind](session, message, config, channel.kind)
            except Exception as exc:  # one bad channel must not stop the rest
                outcomes.append((message, exc))
            else:
                outcomes.append((message, None))
    return outcomes


# Senders of text messages to reporters, by the intake channel's provider
# (intake.channels registers them): each takes (session, message, envelope, channel).
reporter_text_senders: dict = {}


def _by_mail(message) -> bool:
    if message.kind == OutboxMessage.Kind.TO_REPORTER:
        return envelope.via(message) == envelope.EMAIL
    return message.channel is None or message.channel.kind == AlertChannel.Kind.EMAIL


def _send_reporter_text(session, message) -> None:
    from ombud.intake.models import IntakeChannel  # noqa: PLC0415 -- intake depends on notify

    channel = IntakeChannel.objects.filter(pk=message.context.get("intake_channel")).first()
    if channel is None or not channel.enabled:
        raise channel_http.DeliveryFailed("the event's text-message channel is gone")
    sender = reporter_text_senders.get(channel.provider)
    if sender is None:
        raise channel_http.DeliveryFailed("no sender for this provider")
    sender(session, message, envelope.opened(message), channel)


def deliver(messages: list[OutboxMessage], now=None) -> int:
    """Deliver a claimed batch; returns how many were accepted downstream."""
    if not messages:
        return 0
    cancelled = set()
    for check in unwanted_checks:
        cancelled |= set(check(messages))
    # A channel removed or paused after the alert was queued: nothing to send to.
    cancelled |= {
        m.id
        for m in messages
        if _by_mail(m) and not m.address and m.kind != OutboxMessage.Kind.TO_REPORTER
    }
    cancelled |= {m.id for m in messages if m.channel is not None and not m.channel.enabled}
    wanted = [m for m in messages if m.id not in cancelled]
    # Beyond a few alerts per person at once, the rest wait for one digest.
    planned = coalesce.plan(wanted, now or timezone.now(), claimed_by=HEARTBEAT_NAME, lease=LEASE)
    cancelled |= set(planned.cancelled)
    # Stable: urgent alerts first, then in the order they were queued.
    wanted = sorted(planned.send, key=lambda m: m.kind != OutboxMessage.Kind.URGENT_REPORT)
    # Their language (notify.services.language_of): one query for the batch.
    prefetch_related_objects(wanted, "recipient")
    mail = [m for m in wanted if _by_mail(m)]
    other = [m for m in wanted if not _by_mail(m)]
    outcomes = (_send_all(mail) if mail else []) + (_send_http(other) if other else [])
    _record(outcomes, cancelled)
    sent = sum(1 for _message, error in outcomes if error is None)
    if sent:
        log.info("delivered %d alerts", sent)
    return sent


def deliver_due(now=None) -> int:
    return deliver(claim(now=now), now)


def work_due(now=None) -> int:
    """One round of the loop: how many rows it handled, sent or held for a digest
    (notify.coalesce), so the loop stays busy while any are due."""
    claimed = claim(now=now)
    deliver(claimed, now)
    return len(claimed)


def every(interval: timedelta):
    """Schedule a housekeeping task for ``periodic_tasks``: at most once per interval."""

    def schedule(task):
        state = {"next": None}

        def scheduled(now):
            if state["next"] is not None and now < state["next"]:
                return None
            state["next"] = now + interval
            return task(now)

        scheduled.task = task
        return scheduled

    return schedule


def register(task, interval: timedelta) -> None:
    if all(getattr(t, "task", None) is not task for t in periodic_tasks):
        periodic_tasks.append(every(interval)(task))


def run_periodic(now=None) -> None:
    for task in periodic_tasks:
        task(now or timezone.now())


HEARTBEAT_NAME = f"{socket.gethostname()}:{os.getpid()}"
ALIVE_WITHIN = timedelta(seconds=30)
# A worker's claims are released when it has not been seen for this long.
ORPHANED_AFTER = timedelta(seconds=60)
BEAT_DURING_BATCH = 10  # seconds
HEALTHY_BACKLOG = timedelta(minutes=5)
DEAD_LETTERS_MATTER_FOR = timedelta(hours=24)


def beat(now) -> None:
    """This worker is alive (read by ``health`` and ``ombud worker --check``)."""
    with transaction.atomic():
        updated = WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).update(seen_at=now)
        if not updated:
            WorkerHeartbeat.objects.create(name=HEARTBEAT_NAME, started_at=now, seen_at=now)
        WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()


def release_orphaned_claims(now) -> int:
    """Claims held by workers that stopped beating (killed) fall due at once."""
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=now - ORPHANED_AFTER).values("name")
    with transaction.atomic():
        released = (
            OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__gt=now)
            .exclude(claimed_by="")
            .exclude(claimed_by__in=alive)
            .update(next_attempt_at=now, claimed_by="")
        )
    if released:
        log.warning("released %d alerts claimed by a worker that stopped", released)
    return released


@functools.cache
def _health_statement(vendor: str) -> str:
    """The worker's last sign of life and the outbox's state in one statement, built once
    from the models' names (as db.rows does): the ORM's aggregate with four filters,
    and a second query for the heartbeat, cost the dashboard more than the database."""
    quote = connection.ops.quote_name
    o = {f.name: f"o.{quote(f.column)}" for f in OutboxMessage._meta.concrete_fields}
    seen = quote(WorkerHeartbeat._meta.get_field("seen_at").column)
    beats = quote(WorkerHeartbeat._meta.db_table)
    # Names from the models; every value is a parameter.
    return (
        f"SELECT (SELECT MAX(h.{seen}) FROM {beats} h), "  # noqa: S608
        # Alerts held for a digest wait by design (notify.coalesce), not for a worker.
        f"MIN(CASE WHEN {o['state']} = %s AND NOT {o['held']} THEN {o['created_at']} END), "
        f"COUNT(CASE WHEN {o['state']} = %s THEN 1 END), "
        f"COUNT(CASE WHEN {o['state']} = %s THEN 1 END), "
        f"COUNT(CASE WHEN {o['state']} = %s AND {o['created_at']} >= %s THEN 1 END) "
        f"FROM {quote(OutboxMessage._meta.db_table)} o WHERE {o['state']} IN (%s, %s)"
    )


def health(now=None) -> dict:
    """Whether a worker is alive, and how far behind alert delivery is (one statement:
    the dashboard asks on every view)."""
    now = now or timezone.now()
    pending, dead = OutboxMessage.State.PENDING, OutboxMessage.State.DEAD
    created_at = OutboxMessage._meta.get_field("created_at")
    recently = created_at.get_db_prep_value(now - DEAD_LETTERS_MATTER_FOR, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            _health_statement(connection.vendor),
            [pending, pending, dead, dead, recently, pending, dead],
        )
        last_seen, oldest, pending_count, dead_letters, recent_dead = cursor.fetchone()
    last_seen = db_rows.converted(WorkerHeartbeat._meta.get_field("seen_at"), last_seen)
    oldest = db_rows.converted(created_at, oldest)
    alive = last_seen is not None and now - last_seen <= ALIVE_WITHIN
    backlog = (now - oldest) if oldest else timedelta(0)
    return {
        "alive": alive,
        "last_seen_seconds": round((now - last_seen).total_seconds(), 1) if last_seen else None,
        "oldest_undelivered_seconds": round(backlog.total_seconds(), 1),
        "pending": pending_count,
        "dead_letters": dead_letters,
        # Dead letters of the last day need a human: unhealthy until one sends them again.
        "healthy": alive and backlog <= HEALTHY_BACKLOG and not recent_dead,
    }


# After a round that did not fill its batch, rows are left to gather this long: while
# reports stream in, a round per trickle would take the write lock (and a disk flush)
# from intake dozens of times a second for a row or two each.
GATHER = 0.1  # seconds


def run(stop: threading.Event, *, poll_interval: float = 0.2, periodic_every: float = 5.0) -> None:
    log.info("worker started")
    next_periodic = time.monotonic()
    beat(timezone.now())
    listener = wakeup.Listener()
    while not stop.is_set():
        close_old_connections()
        handled = 0
        try:
            handled = work_due()
            if time.monotonic() >= next_periodic:
                beat(timezone.now())
                release_orphaned_claims(timezone.now())
                run_periodic()
                next_periodic = time.monotonic() + periodic_every
        except Exception:
            # A database hiccup must not end alerting; the rows stay due.
            log.exception("worker iteration failed; retrying")
        if not handled:
            listener.wait(poll_interval, stop)
        elif handled < BATCH:
            stop.wait(GATHER)
    listener.close()
    close_old_connections()
    log.info("worker stopped")
