"""Purging is a workflow, not a surprise: a preview, then a purge of what it listed.

1. A *preview* stores which of an organisation's cases are due within
   ``HORIZON`` days, each with the ``version`` and ``updated_at`` it had then.
2. A *purge* works through previewed cases that are due now. Each case is
   re-read under a lock in its own transaction: unchanged since the preview and
   still due, it is crypto-shredded (``shred``) with its audit entry; changed, it
   is skipped and reported (the next preview lists it again as it is now). A
   failure rolls that one case back, whole, and stops the run; the next run
   resumes with the cases still pending.
3. Ombud itself (the worker, ``ombud purge``) previews each organisation once a
   day and purges only what a preview at least ``GRACE`` old listed, so every
   case is shown to the leads for a week before it goes. A lead may purge what
   the latest preview lists at once, from its page.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases.models import Case
from ombud.events.models import Organisation
from ombud.records.models import PreviewItem, PurgePreview
from ombud.records.services import expiry, shred

log = logging.getLogger(__name__)

HORIZON = timedelta(days=30)
GRACE = timedelta(days=7)
# Ombud previews an organisation again when its latest preview is older than this.
REPREVIEW = timedelta(days=1)


@dataclass
class PurgeResult:
    purged: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    not_due: list = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.purged or self.changed or self.not_due)


def due_within(organisation_id: int, now, horizon=HORIZON) -> list[tuple]:
    """(case, expiry) of every case of the organisation due by ``now + horizon``."""
    cases = list(expiry.closed_cases(organisation_id))
    found = expiry.expiries(cases)
    listed = []
    for case in cases:
        expires = found[case.pk]
        if expires.on is not None and expires.on <= expiry.today_for(case, now + horizon):
            listed.append((case, expires))
    listed.sort(key=lambda pair: (pair[1].on, str(pair[0].pk)))
    return listed


@transaction.atomic
def make_preview(organisation, *, by=None, now=None) -> PurgePreview:
    """Snapshot what is due within the horizon; ``by`` None: Ombud itself."""
    now = now or timezone.now()
    preview = PurgePreview.objects.create(
        organisation=organisation,
        made_at=now,
        made_by=by,
        until=timezone.localdate(now + HORIZON),
    )
    PreviewItem.objects.bulk_create(
        PreviewItem(
            preview=preview,
            case=case,
            version=case.version,
            updated_at=case.updated_at,
            expunge_on=expires.on,
            rule=expires.rule,
        )
        for case, expires in due_within(organisation.pk, now)
    )
    audit.record(by or Actor.system(), "organisation.purge_previewed", organisation)
    return preview


def latest_preview(organisation) -> PurgePreview | None:
    return PurgePreview.objects.filter(organisation=organisation).first()


# Cases expunged per transaction: each case whole or expunged, never half, and a
# few dozen statements for the batch instead of for every case.
BATCH = 100


def _expunge(item_ids: list, now, result: PurgeResult, by) -> set[int]:
    """Previewed cases, in one transaction: each expunged, or skipped and said why
    (added to ``result`` once committed). Returns the organisations touched."""
    touched, found = set(), PurgeResult()
    with transaction.atomic():
        items = list(
            PreviewItem.objects.select_for_update()
            .filter(pk__in=item_ids, state=PreviewItem.State.PENDING)
            .select_related("preview")
            .order_by("expunge_on", "pk")
        )
        cases = Case.objects.select_for_update().select_related("event")
        cases = {case.pk: case for case in cases.filter(pk__in=[i.case_id for i in items])}
        current = expiry.expiries([c for c in cases.values() if c.expunged_at is None])
        rules, done = {}, []
        for item in items:
            case = cases[item.case_id]
            state = _verdict(item, case, current.get(case.pk), rules, now)
            if state is None:
                continue  # still to come: a later run takes it
            item.state, item.done_at = state, now
            done.append(item)
            touched.add(item.preview.organisation_id)
            if state == PreviewItem.State.CHANGED:
                found.changed.append(case.pk)
            elif state == PreviewItem.State.NOT_DUE:
                found.not_due.append(case.pk)
        shred.shred_cases(rules, now=now)
        PreviewItem.objects.bulk_update(done, ["state", "done_at"])
        for case_id in rules:
            case = cases[case_id]
            audit.record(by or Actor.system(), "case.expunged", case, event_id=case.event_id)
            found.purged.append(case_id)
    result.purged += found.purged
    result.changed += found.changed
    result.not_due += found.not_due
    return touched


def _verdict(item, case, expires, rules: dict, now) -> str | None:
    """What becomes of one previewed case; it joins ``rules`` when it is expunged."""
    if case.expunged_at is not None or case.pk in rules:
        return PreviewItem.State.PURGED  # by another preview's item, or withdrawn
    if case.version != item.version or case.updated_at != item.updated_at:
        return PreviewItem.State.CHANGED
    if not expires.due(expiry.today_for(case, now)):
        if expires.on is None or expires.on > item.expunge_on:
            return PreviewItem.State.NOT_DUE
        return None
    rules[case.pk] = expires.rule
    return PreviewItem.State.PURGED


def purge(items, *, now=None, by=None) -> PurgeResult:
    """Expunge the previewed cases among ``items`` (PreviewItems) that are due now and
    unchanged; one audit entry per case, and one per organisation for the run.

    Batches of ``BATCH`` cases share a transaction. When one fails, its cases are
    taken again one at a time, so only the failing case stays behind (whole) and the
    error is raised; the next run resumes with what is still pending."""
    now = now or timezone.now()
    result = PurgeResult()
    touched: set[int] = set()
    pending = items.filter(state=PreviewItem.State.PENDING)
    ids = list(pending.order_by("expunge_on", "pk").values_list("pk", flat=True))
    try:
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            try:
                touched |= _expunge(batch, now, result, by)
            except Exception:
                if len(batch) == 1:
                    raise
                for item_id in batch:
                    touched |= _expunge([item_id], now, result, by)
    finally:
        # Written even when a case failed: the cases before it are expunged.
        for organisation_id in sorted(touched):
            with transaction.atomic():
                organisation = Organisation.objects.get(pk=organisation_id)
                audit.record(by or Actor.system(), "organisation.purge_run", organisation)
    return result


def ripe_items(now):
    """Previewed cases Ombud itself may purge: listed by a preview at least GRACE old."""
    return PreviewItem.objects.filter(
        state=PreviewItem.State.PENDING,
        preview__made_at__lte=now - GRACE,
        expunge_on__lte=timezone.localdate(now) + timedelta(days=1),
    )


def purge_by_lead(preview, cases, *, by, now=None) -> PurgeResult:
    """A lead purges at once what ``preview`` listed among ``cases`` (those they may
    see: ``records.queries.retention_cases``), unchanged and due."""
    result = purge(preview.items.filter(case__in=cases), now=now, by=by)
    _reclaim()
    return result


def would_purge(items, now) -> list:
    """What ``purge(items)`` would expunge now, changing nothing (``--dry-run``)."""
    rows = list(items.filter(state=PreviewItem.State.PENDING).select_related("case__event"))
    current = expiry.expiries([row.case for row in rows if row.case.expunged_at is None])
    found = []
    for row in rows:
        case = row.case
        unchanged = case.version == row.version and case.updated_at == row.updated_at
        expires = current.get(case.pk)
        due = expires is not None and expires.due(expiry.today_for(case, now))
        if unchanged and due and case.pk not in found:
            found.append(case.pk)
    return found


def needs_preview(organisation, now) -> bool:
    latest = latest_preview(organisation)
    return latest is None or latest.made_at <= now - REPREVIEW


@dataclass
class RunReport:
    previewed: dict = field(default_factory=dict)  # organisation slug -> case ids listed
    purge: PurgeResult = field(default_factory=PurgeResult)
    would_purge: list = field(default_factory=list)
    finished: list = field(default_factory=list)


def run(now=None, *, dry_run: bool = False) -> RunReport:
    """What the worker does hourly and ``ombud purge`` once: preview each organisation
    whose latest preview is a day old, purge what week-old previews listed, and finish
    withdrawn cases whose retention has passed. ``dry_run``: say it, change nothing."""
    now = now or timezone.now()
    report = RunReport()
    for organisation in Organisation.objects.order_by("pk"):
        if not needs_preview(organisation, now):
            continue
        if dry_run:
            listed = [case.pk for case, _expires in due_within(organisation.pk, now)]
        else:
            preview = make_preview(organisation, now=now)
            listed = list(preview.items.values_list("case_id", flat=True))
        report.previewed[organisation.slug] = listed
    if dry_run:
        report.would_purge = would_purge(ripe_items(now), now)
        report.finished = [case.pk for case in withdrawn_due(now)]
        return report
    report.purge = purge(ripe_items(now), now=now)
    report.finished = [case.pk for case in withdrawn_due(now) if finish_withdrawn(case, now=now)]
    if report.purge.purged or report.finished:
        _reclaim()
    return report


def periodic(now) -> None:
    """The worker's task (``notify.worker.register``)."""
    found = run(now)
    if found.purge.touched or found.finished:
        log.info(
            "purge: %d expunged, %d changed since their preview, %d no longer due, "
            "%d withdrawn cases finished",
            len(found.purge.purged),
            len(found.purge.changed),
            len(found.purge.not_due),
            len(found.finished),
        )


def withdrawn_due(now) -> list:
    """Withdrawn cases whose retention has passed and whose receipt still finds them."""
    cases = list(
        Case.objects.filter(expunge_rule=expiry.WITHDRAWN)
        .exclude(reports__receipt_digest__startswith=shred.FORGOTTEN_RECEIPT)
        .select_related("event")
        .distinct()
    )
    found = expiry.expiries(cases)
    return [case for case in cases if found[case.pk].due(expiry.today_for(case, now))]


@transaction.atomic
def finish_withdrawn(case, *, now=None) -> bool:
    """A withdrawn case at the end of its retention: its receipt stops finding it, and
    its ban-list digests (kept while the ban was in force) go."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().select_related("event").get(pk=case.pk)
    if case.expunge_rule != expiry.WITHDRAWN:
        return False
    shred.forget_receipts(case)
    shred.forget_ban_identifiers(case)
    audit.record(Actor.system(), "case.expunged", case, event_id=case.event_id)
    return True


def _reclaim() -> None:
    """After a run, SQLite's write-ahead log is folded back and emptied, so no copy of
    a shredded page stays in it (freed pages are zeroed by ``secure_delete``)."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
