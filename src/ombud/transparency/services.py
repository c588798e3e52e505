"""Drafting, wording, publishing and withdrawing transparency reports.

A draft freezes the numbers when it is computed (``compute``); the leads add the
prose, look at the preview and publish, which copies the draft to what is public.
Suppression is decided across the organisation-year's family of tables: the
reports already published there are taken as a reader sees them, the others as
unseen (``suppression``). Publishing checks again, so two drafts computed side by
side cannot together give a small number away. Each action is audited in its
own transaction; a refusal raises ``ReportRefused`` with a message for the person.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.events.models import Organisation
from ombud.transparency import counting, rules
from ombud.transparency.models import (
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    PROSE_LIMIT,
    TransparencyReport,
)
from ombud.transparency.suppression import ORGANISATION, TOTAL, Table, leaks, suppress


class ReportRefused(Exception):
    """What cannot be done to a report; the message is shown to the person who tried."""


def for_event(event) -> TransparencyReport:
    """The event's report, or a new unsaved one (nothing exists until a draft is made)."""
    report = TransparencyReport.objects.filter(event=event).first()
    return report or TransparencyReport(
        organisation_id=event.organisation_id, event=event, year=event.starts_on.year
    )


def for_organisation(organisation, year: int) -> TransparencyReport:
    report = TransparencyReport.objects.filter(
        organisation=organisation, event__isnull=True, year=year
    ).first()
    return report or TransparencyReport(organisation=organisation, year=year)


def _audit(by, verb: str, report) -> None:
    """An event's report is audited with its event; the year's with its organisation."""
    if report.event_id:
        audit.record(by, f"transparency.{verb}", report, event_id=report.event_id)
    else:
        audit.record(by, f"organisation.transparency_{verb}", report)


def _refuse_unless_allowed(user, report) -> None:
    if not rules.may_manage(user, report):
        raise ReportRefused(
            _(
                "Only the event's incident leads (for a year's report, the organisation's "
                "admins) can change this transparency report."
            )
        )


def _year(report) -> int:
    return report.event.starts_on.year if report.event_id else report.year


def _name(report) -> str:
    return f"event:{report.event_id}" if report.event_id else ORGANISATION


def _as_read(report, snapshot: dict) -> Table:
    """A published snapshot as a reader sees it: shown numbers, marks, no hidden value."""
    table = Table(_name(report), snapshot["threshold"], published=True, exact=False)
    for dimension, key, value, mark in snapshot["cells"]:
        table.values[(dimension, key)] = value or 0
        if mark:
            table.marks[(dimension, key)] = mark
    return table


def family(organisation_id, year: int, *, threshold: int, leaving_out=None):
    """Every table of an organisation-year, and the true numbers by table name.
    Published reports (but ``leaving_out``) are as a reader sees them; the other
    tables are unseen, with their true numbers and ``threshold``."""
    events = counting.family_events(organisation_id, year)
    counts = counting.count_events(events)
    true = {f"event:{pk}": c for pk, c in counts.items()}
    true[ORGANISATION] = counting.combine(list(counts.values()))
    published = {
        _name(other): other
        for other in TransparencyReport.objects.filter(
            Q(event__in=events) | Q(event=None, organisation_id=organisation_id, year=year)
        )
        .exclude(published_at=None)
        .exclude(pk=getattr(leaving_out, "pk", None))
    }
    tables = {}
    for name, numbers in true.items():
        if name in published:
            tables[name] = _as_read(published[name], published[name].public)
        else:
            tables[name] = Table(name, threshold, values=dict(numbers.cells))
    return tables, true


def _family(report):
    return family(
        report.organisation_id, _year(report), threshold=report.threshold, leaving_out=report
    )


def _snapshot(report, table: Table, numbers: counting.Counts) -> dict:
    shown_total = table.is_shown(TOTAL)
    return {
        "scope": "event" if report.event_id else "organisation",
        "year": _year(report),
        "threshold": table.threshold,
        "events": [] if report.event_id else _event_names(report),
        "cells": [
            [dimension, key, None if key_mark else value, key_mark]
            for (dimension, key), value in numbers.cells.items()
            for key_mark in [table.marks.get((dimension, key))]
        ],
        "times": {
            "acknowledge": counting.times(numbers.ack_hours, table.threshold)
            if shown_total
            else None,
            "decision": counting.times(numbers.decision_hours, table.threshold)
            if shown_total
            else None,
        },
    }


def _event_names(report) -> list[str]:
    return [e.name for e in counting.family_events(report.organisation_id, report.year)]


def _current(report) -> TransparencyReport:
    """The report as stored now, under its organisation's row lock: writers take
    turns, a page loaded earlier cannot write back what it saw, and a report someone
    made meanwhile is the one changed rather than a second one."""
    Organisation.objects.select_for_update().get(pk=report.organisation_id)
    if report.pk is not None:
        return TransparencyReport.objects.select_related("event").get(pk=report.pk)
    if report.event_id:
        return for_event(report.event)
    return for_organisation(report.organisation, report.year)


def _saved(report) -> None:
    report.version += 1
    report.save()


@transaction.atomic
def compute(report, *, by, now=None) -> TransparencyReport:
    """Count, suppress and freeze the numbers into the draft (made if there is none)."""
    _refuse_unless_allowed(by, report)
    report = _current(report)
    tables, true = _family(report)
    name = _name(report)
    tables[name].threshold = report.threshold
    suppress(tables, name)
    report.year = _year(report)
    report.draft = _snapshot(report, tables[name], true[name])
    report.draft_computed_at = now or timezone.now()
    _saved(report)
    _audit(by, "drafted", report)
    return report


@transaction.atomic
def save_text(report, *, prose: str, threshold: int, by) -> TransparencyReport:
    """The prose and the threshold of the draft; a new threshold counts again."""
    _refuse_unless_allowed(by, report)
    prose = prose.strip()
    if len(prose) > PROSE_LIMIT:
        raise ReportRefused(_("The text is too long."))
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise ReportRefused(_("The smallest number shown is at least 5."))
    report = _current(report)
    recount = report.pk is None or threshold != report.threshold
    report.prose = prose
    report.threshold = threshold
    _saved(report)
    _audit(by, "text_changed", report)
    if recount:
        report = compute(report, by=by)
    return report


@transaction.atomic
def publish(report, *, by, now=None, expected_version=None) -> TransparencyReport:
    """Make the draft public, as previewed (``expected_version``: the one the person
    saw), after checking it against what else of the organisation-year is public now."""
    _refuse_unless_allowed(by, report)
    report = _current(report)
    if report.pk is None or not report.draft:
        raise ReportRefused(_("Count the numbers first."))
    if expected_version is not None and expected_version != report.version:
        raise ReportRefused(
            _(
                "Someone changed this transparency report meanwhile. Check the preview again, "
                "then publish."
            )
        )
    if not report.prose.strip():
        raise ReportRefused(_("Write the text the community reads with the numbers first."))
    if not is_safe_with_family(report):
        raise ReportRefused(
            _(
                "Another transparency report of this organisation's year was published since "
                "these "
                "numbers were counted: together they could give a small number away. "
                "Count the numbers again, check the preview, then publish."
            )
        )
    report.public = report.draft
    report.public_prose = report.prose
    report.published_at = now or timezone.now()
    _saved(report)
    _audit(by, "published", report)
    return report


def is_safe_with_family(report) -> bool:
    """Whether publishing the draft, as it is, lets a reader work out a hidden
    number that the published family does not already give away."""
    tables, _true = _family(report)
    name = _name(report)
    before = leaks(tables)
    tables[name] = _as_read(report, report.draft)
    return not (leaks(tables) - before)


@transaction.atomic
def unpublish(report, *, by) -> TransparencyReport:
    """Take the report off the public page (the draft stays)."""
    _refuse_unless_allowed(by, report)
    report = _current(report)
    if report.pk is None or not report.is_published:
        raise ReportRefused(_("This transparency report is not published."))
    report.public = None
    report.public_prose = ""
    report.published_at = None
    _saved(report)
    _audit(by, "unpublished", report)
    return report
