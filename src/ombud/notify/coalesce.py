"""Grouping alerts, so that nobody's phone rings a thousand times in a flood.

Each person has, per channel, an alert window. Outside a flood a window lasts
``NORMAL_WINDOW``: the first ``NORMAL_ALONE`` alerts in it go out at once, on their
own; the rest wait until it closes and go out as one digest ("12 new reports,
2 marked urgent"). When the event an alert is about floods (cases.services.floods),
each new window is longer (``FLOOD_WINDOWS``) and lets out on their own at most
``FLOOD_URGENT`` urgent alerts (marked urgent, or someone in danger) and
``FLOOD_OTHER`` other alert - never one about a near-duplicate of many reports:
those only ever go in the digest. Urgent alerts are taken first.

The bound, per person and channel: at most ``NORMAL_ALONE + 1`` messages in a normal
window and ``FLOOD_URGENT + FLOOD_OTHER + 1`` in each flood window; so at most
9 + 5 x 4 = 29 in the first hour of a flood, and 8 an hour after that. Alerts of
other kinds (invitations, password links, messages to reporters) are never held, nor
are retries. Escalation does not climb for a flood's near-duplicates
(cases.services.floods.pause_duplicates), so it does not multiply either.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from ombud.notify.models import AlertWindow, OutboxMessage
from ombud.vault import receipts

Kind = OutboxMessage.Kind
HELD_KINDS = frozenset({Kind.NEW_REPORT, Kind.URGENT_REPORT, Kind.ESCALATION, Kind.REPORTER_ADDED})
# A minute by default (OMBUD_ALERT_WINDOW); a flood's windows are 1, 4, 8, 16, then 30 times it.
NORMAL_WINDOW = timedelta(seconds=settings.ALERT_WINDOW)
NORMAL_ALONE = 8
# The first is short, so the leads' digest says "a flood" within a minute.
FLOOD_WINDOWS = tuple(NORMAL_WINDOW * n for n in (1, 4, 8, 16, 30))
FLOOD_URGENT = 2
FLOOD_OTHER = 1
# A person whose last window closed this long ago starts afresh.
FORGET_AFTER = timedelta(minutes=30)

# Set by the cases app: case ids -> {case id: subject} (cases.services.floods.Subject).
classify = None


@dataclass
class Plan:
    send: list  # rows to deliver now, digests among them
    cancelled: list  # ids of alerts about cases marked as junk meanwhile


def _recipient_key(message) -> str:
    if message.recipient_id:
        return f"u{message.recipient_id}"
    return "a" + receipts.keyed_digest("alert window", message.address.casefold())


def _slot(message) -> tuple[str, int]:
    return _recipient_key(message), message.channel_id or 0


def _urgent(message, subject) -> bool:
    return message.kind == Kind.URGENT_REPORT or bool(subject and subject.urgent)


def _roll(window: AlertWindow, now, flooding: bool) -> None:
    """A closed window gives way to the next: longer with each one in a row in a flood."""
    if now < window.closes_at:
        return
    stale = now - window.closes_at > FORGET_AFTER
    count = ((0 if stale else window.flood_windows) + 1) if flooding else 0
    length = FLOOD_WINDOWS[min(count, len(FLOOD_WINDOWS)) - 1] if count else NORMAL_WINDOW
    window.opens_at, window.closes_at = now, now + length
    window.flood_windows, window.sent, window.urgent_sent = count, 0, 0


def _alone(window: AlertWindow, message, subject) -> bool:
    """Whether the alert goes out on its own now (and counts against the window)."""
    if not window.flood_windows:
        counter, cap = "sent", NORMAL_ALONE
    elif subject is not None and subject.duplicate:
        return False
    elif _urgent(message, subject):
        counter, cap = "urgent_sent", FLOOD_URGENT
    else:
        counter, cap = "sent", FLOOD_OTHER
    if getattr(window, counter) >= cap:
        return False
    setattr(window, counter, getattr(window, counter) + 1)
    return True


def plan(messages: list, now, *, claimed_by: str, lease: timedelta) -> Plan:
    """Decide, for a claimed batch, what goes out now; hold the rest for digests, and
    turn held alerts whose window has closed into one digest per person and channel."""
    # A retry was counted when it first went out: it does not count again.
    fresh = [m for m in messages if m.kind in HELD_KINDS and not m.held and not m.attempts]
    fresh.sort(key=lambda m: m.kind != Kind.URGENT_REPORT)  # stable: urgent first, in order
    fresh_ids = {m.id for m in fresh}
    due_held = [m for m in messages if m.held]
    if not fresh and not due_held:
        return Plan(send=messages, cancelled=[])
    about = {m.subject_id for m in fresh + due_held if m.subject_id}
    subjects = classify(about, now) if classify and about else {}
    junk = [m.id for m in fresh + due_held if getattr(subjects.get(m.subject_id), "junk", False)]
    send = [m for m in messages if m.id not in fresh_ids and not m.held]
    with transaction.atomic():
        send += _hold_beyond_budget([m for m in fresh if m.id not in junk], subjects, now)
        digests = [
            _digest(group, subjects, now, claimed_by=claimed_by, lease=lease)
            for group in _merge_due([m for m in due_held if m.id not in junk], now)
        ]
        OutboxMessage.objects.bulk_create(digests)
    return Plan(send=send + digests, cancelled=junk)


def _windows(slots: set, now) -> dict:
    """The people's windows, locked; a closed one for whoever has none yet."""
    closed = now - FORGET_AFTER * 2
    AlertWindow.objects.bulk_create(
        [
            AlertWindow(recipient_key=key, channel_id=channel, opens_at=closed, closes_at=closed)
            for key, channel in slots
        ],
        ignore_conflicts=True,
    )
    rows = AlertWindow.objects.filter(recipient_key__in={key for key, _channel in slots})
    if connection.vendor == "postgresql":
        rows = rows.select_for_update()
    return {(w.recipient_key, w.channel_id): w for w in rows}


def _hold_beyond_budget(fresh: list, subjects: dict, now) -> list:
    """The alerts that go out on their own; the others are held until their window closes."""
    if not fresh:
        return []
    windows = _windows({_slot(m) for m in fresh}, now)
    alone, held, changed = [], {}, set()
    for message in fresh:
        subject = subjects.get(message.subject_id)
        slot = _slot(message)
        window = windows[slot]
        _roll(window, now, bool(subject and subject.flooding))
        changed.add(slot)
        if _alone(window, message, subject):
            alone.append(message)
        else:
            held.setdefault(window.closes_at, []).append(message.id)
    for slot in changed:
        windows[slot].save()
    for closes_at, ids in held.items():
        OutboxMessage.objects.filter(id__in=ids).update(
            held=True, next_attempt_at=closes_at, claimed_by=""
        )
    return alone


def _merge_due(due_held: list, now) -> list[list]:
    """Held alerts whose window closed, one group per person and channel: those this
    worker claimed, and the same person's others that nobody has claimed yet."""
    by_slot: dict = {}
    for message in due_held:
        by_slot.setdefault(_slot(message), []).append(message)
    groups = []
    for group in by_slot.values():
        first = group[0]
        others = OutboxMessage.objects.filter(
            held=True,
            state=OutboxMessage.State.PENDING,
            recipient_id=first.recipient_id,
            address=first.address,
            channel_id=first.channel_id,
            next_attempt_at__lte=now,
        ).exclude(id__in=[m.id for m in group])
        if connection.vendor == "postgresql":
            # Rows another worker is claiming are theirs; a row it claimed meanwhile is no
            # longer due when locked (PostgreSQL checks again), so none is merged twice.
            others = others.select_for_update(skip_locked=True)
        merged = group + list(others)
        OutboxMessage.objects.filter(id__in=[m.id for m in merged]).update(
            state=OutboxMessage.State.MERGED,
            sent_at=now,
            held=False,
            claimed_by="",
            recipient=None,
            channel=None,
            address="",
            context={},
        )
        groups.append(merged)
    return groups


def _digest(merged: list, subjects: dict, now, *, claimed_by: str, lease) -> OutboxMessage:
    """One message for the held alerts: how many of what, a link to the dashboard."""
    first = merged[0]
    kinds = [m.kind for m in merged]
    events = sorted({m.context.get("event_name", "") for m in merged} - {""})
    context = {
        "event_name": ", ".join(events),
        "url": settings.BASE_URL + reverse("cases:dashboard"),
        "reports": kinds.count(Kind.NEW_REPORT) + kinds.count(Kind.URGENT_REPORT),
        "urgent": kinds.count(Kind.URGENT_REPORT),
        "escalated": kinds.count(Kind.ESCALATION),
        "added": kinds.count(Kind.REPORTER_ADDED),
        "flood": any(getattr(subjects.get(m.subject_id), "flooding", False) for m in merged),
    }
    if first.context.get("language"):
        context["language"] = first.context["language"]
    return OutboxMessage(
        kind=Kind.DIGEST,
        recipient_id=first.recipient_id,
        address=first.address,
        channel_id=first.channel_id,
        context=context,
        created_at=now,
        # Claimed by this worker at birth: it goes out in this batch.
        next_attempt_at=now + lease,
        claimed_by=claimed_by,
    )
