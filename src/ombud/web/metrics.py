"""``/metrics`` in Prometheus' text exposition format (version 0.0.4), for the operator.

Only counts and ages, organisation-wide: no content, no code names, no receipts, no
case in any label, and an event only in the per-event reports counter the operator
turns on (``OMBUD_METRICS_PER_EVENT``). Each scrape costs a handful of indexed
queries: the reports counters read only the audit entries written since the last scrape.
"""

import math
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

import ombud
from ombud.audit.models import Entry
from ombud.cases.models import Flood, Report
from ombud.events.models import Event
from ombud.notify import worker
from ombud.notify.models import OutboxMessage, WorkerHeartbeat
from ombud.web import health, requeststats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_REPORTS_KEY = "metrics:reports-received:2"  # 2: with the counts per event
# Sent and cancelled alerts are most of the outbox: counted at most once a minute.
_SETTLED_KEY = "metrics:outbox-settled"
SETTLED_EVERY = 60


class Exposition:
    """Metric families written as Prometheus reads them."""

    def __init__(self):
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]

    def sample(self, name: str, value, labels: dict | None = None) -> None:
        label_text = ""
        if labels:
            label_text = "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"
        self.lines.append(f"{name}{label_text} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value) -> str:
    if isinstance(value, float):
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return repr(round(value, 6))
    return str(int(value))


def reports_received() -> dict:
    """Reports filed since installation, ``by_channel`` and ``by_event`` (event ids):
    counters that never go back.

    The audit log is append-only (its entries cannot be deleted), so its
    ``report.created`` entries count every report ever filed, even one purged since.
    The totals are kept with the last entry counted; a scrape reads only newer entries
    (a range of the primary key), their event, and the channel of the reports they name.
    """
    state = cache.get(_REPORTS_KEY) or {"seq": 0, "by_channel": {}, "by_event": {}}
    newest = Entry.objects.aggregate(newest=Max("seq"))["newest"] or 0
    if newest <= state["seq"]:
        return state
    entries = Entry.objects.filter(
        seq__gt=state["seq"], seq__lte=newest, action="report.created"
    ).values_list("object_id", "event_id")
    by_event = defaultdict(int, state["by_event"])
    filed = []
    for report_id, event_id in entries:
        filed.append(report_id)
        by_event[event_id] += 1
    by_channel = defaultdict(int, state["by_channel"])
    known = 0
    for start in range(0, len(filed), 500):
        rows = Report.objects.filter(pk__in=filed[start : start + 500]).values_list(
            "channel", flat=True
        )
        for channel in rows:
            by_channel[channel] += 1
            known += 1
    # Filed and purged between two scrapes: counted, its channel no longer known.
    if len(filed) > known:
        by_channel["unknown"] += len(filed) - known
    state = {"seq": newest, "by_channel": dict(by_channel), "by_event": dict(by_event)}
    cache.set(_REPORTS_KEY, state, timeout=None)
    return state


def _settled_alerts() -> dict[str, int]:
    counts = cache.get(_SETTLED_KEY)
    if counts is None:
        settled = (
            OutboxMessage.State.SENT,
            OutboxMessage.State.CANCELLED,
            OutboxMessage.State.MERGED,
        )
        counts = {state: OutboxMessage.objects.filter(state=state).count() for state in settled}
        cache.set(_SETTLED_KEY, counts, timeout=SETTLED_EVERY)
    return counts


def _outbox(out: Exposition, now) -> None:
    pending = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING)
    by_state = {
        OutboxMessage.State.PENDING: pending.count(),
        OutboxMessage.State.DEAD: OutboxMessage.objects.filter(
            state=OutboxMessage.State.DEAD
        ).count(),
        **_settled_alerts(),
    }
    out.family(
        "ombud_outbox_messages",
        "gauge",
        "Alerts and notices in the outbox by state (sent and cancelled: counted each minute).",
    )
    for state, count in by_state.items():
        out.sample("ombud_outbox_messages", count, {"state": str(state)})
    out.family(
        "ombud_outbox_retrying_messages", "gauge", "Pending messages that failed at least once."
    )
    out.sample("ombud_outbox_retrying_messages", pending.filter(attempts__gt=0).count())
    out.family(
        "ombud_outbox_held_messages",
        "gauge",
        "Pending alerts held for a digest while someone gets many at once (a flood).",
    )
    out.sample("ombud_outbox_held_messages", pending.filter(held=True).count())
    out.family("ombud_floods_open", "gauge", "Events receiving a flood of reports now.")
    out.sample("ombud_floods_open", Flood.objects.filter(ended_at__isnull=True).count())
    # Held alerts wait on purpose: the age of what waits for a worker is what matters.
    ages = pending.filter(held=False).aggregate(oldest=Min("created_at"))
    due = pending.filter(next_attempt_at__lte=now).aggregate(since=Min("next_attempt_at"))
    out.family(
        "ombud_outbox_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest undelivered message (0: none).",
    )
    oldest = ages["oldest"]
    out.sample(
        "ombud_outbox_oldest_pending_age_seconds",
        (now - oldest).total_seconds() if oldest else 0.0,
    )
    out.family(
        "ombud_outbox_oldest_due_age_seconds",
        "gauge",
        "How long the message due longest has waited for a worker (0: none due).",
    )
    since = due["since"]
    out.sample(
        "ombud_outbox_oldest_due_age_seconds", (now - since).total_seconds() if since else 0.0
    )


def _workers(out: Exposition, now) -> None:
    seen = WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]
    out.family(
        "ombud_worker_heartbeat_age_seconds",
        "gauge",
        "Seconds since any worker last said it was alive (+Inf: never).",
    )
    out.sample(
        "ombud_worker_heartbeat_age_seconds",
        (now - seen).total_seconds() if seen else float("inf"),
    )
    out.family("ombud_workers_alive", "gauge", "Workers seen within their heartbeat interval.")
    out.sample(
        "ombud_workers_alive",
        WorkerHeartbeat.objects.filter(seen_at__gte=now - worker.ALIVE_WITHIN).count(),
    )


def _requests(out: Exposition) -> None:
    totals = requeststats.combined()
    out.family(
        "ombud_http_requests_total",
        "counter",
        "Requests answered by this machine's server since it started, by URL name.",
    )
    for key, count in sorted(totals["requests"].items()):
        view, method, status = key.split("|")
        out.sample(
            "ombud_http_requests_total", count, {"view": view, "method": method, "status": status}
        )
    out.family(
        "ombud_http_request_duration_seconds",
        "histogram",
        "Time to answer a request, by URL name.",
    )
    for view, row in sorted(totals["latency"].items()):
        running = 0
        for bound, count in zip((*requeststats.BUCKETS, float("inf")), row, strict=False):
            running += count
            le = "+Inf" if math.isinf(bound) else repr(bound)
            out.sample(
                "ombud_http_request_duration_seconds_bucket", running, {"view": view, "le": le}
            )
        out.sample("ombud_http_request_duration_seconds_sum", float(row[-1]), {"view": view})
        out.sample("ombud_http_request_duration_seconds_count", running, {"view": view})


def _per_event(out: Exposition, counts: dict[int, int]) -> None:
    slugs = dict(Event.objects.filter(pk__in=list(counts)).values_list("pk", "slug"))
    out.family(
        "ombud_event_reports_received_total",
        "counter",
        "Reports filed since installation, by event (OMBUD_METRICS_PER_EVENT).",
    )
    by_slug = defaultdict(int)
    for event_id, count in counts.items():
        by_slug[slugs.get(event_id, "unknown")] += count
    for slug, count in sorted(by_slug.items()):
        out.sample("ombud_event_reports_received_total", count, {"event": slug})


def render() -> str:
    now = timezone.now()
    out = Exposition()
    out.family("ombud_info", "gauge", "Ombud's version, mode and database (always 1).")
    out.sample(
        "ombud_info",
        1,
        {
            "version": ombud.__version__,
            "mode": settings.MODE,
            "database": connection.vendor,
        },
    )
    out.family("ombud_ready", "gauge", "Each readiness check of /readyz: 1 passing, 0 failing.")
    for name, passed in health.cached_checks().items():
        out.sample("ombud_ready", int(passed), {"check": name})
    out.family(
        "ombud_reports_received_total",
        "counter",
        "Reports filed since installation, all events together, by channel.",
    )
    received = reports_received()
    for channel, count in sorted(received["by_channel"].items()):
        out.sample("ombud_reports_received_total", count, {"channel": channel})
    if settings.METRICS_PER_EVENT:
        _per_event(out, received["by_event"])
    _outbox(out, now)
    _workers(out, now)
    _requests(out)
    return out.text()
