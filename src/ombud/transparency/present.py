"""A snapshot as readers get it: labelled sections for the page, CSV and JSON.

Suppressed cells read "fewer than 5" (``SMALL``) or "withheld" (``WITHHELD``,
withheld so that a small number cannot be worked out); in CSV they are ``<5``
and ``withheld``. Times are whole hours; 0 reads "less than an hour".
"""

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombud.cases.models import Channel
from ombud.decisions.models import Consequence
from ombud.transparency import counting
from ombud.transparency.suppression import SMALL, WITHHELD

TITLES = {
    "total": gettext_lazy("Reports"),
    "category": gettext_lazy("By category"),
    "channel": gettext_lazy("By how it was reported"),
    "outcome": gettext_lazy("By outcome"),
}
HEADINGS = {
    "total": gettext_lazy("Reports"),
    "category": gettext_lazy("Category"),
    "channel": gettext_lazy("Channel"),
    "outcome": gettext_lazy("Outcome"),
}
SPECIAL = {
    ("category", counting.SEVERAL): gettext_lazy("Several categories"),
    ("category", counting.NONE): gettext_lazy("Not categorised"),
    ("outcome", counting.CLOSED_NO_DECISION): gettext_lazy("Closed without a decision"),
    ("outcome", counting.OPEN): gettext_lazy("Still open"),
    ("total", ""): gettext_lazy("Cases reported"),
}
LABELS = {
    "channel": dict(Channel.choices),
    "outcome": dict(Consequence.choices),
}
TIMES = (
    ("acknowledge", gettext_lazy("From report to first acknowledgement")),
    ("decision", gettext_lazy("From report to final decision")),
)


@dataclass(frozen=True)
class Cell:
    value: int | None
    mark: str | None
    threshold: int

    def __str__(self):
        if self.mark == SMALL:
            return _("fewer than %(n)d") % {"n": self.threshold}
        if self.mark == WITHHELD:
            return _("withheld")
        return str(self.value)

    @property
    def csv(self) -> str:
        if self.mark == SMALL:
            return f"<{self.threshold}"
        if self.mark == WITHHELD:
            return "withheld"
        return str(self.value)

    @property
    def json(self):
        if self.mark == SMALL:
            return {"fewer_than": self.threshold}
        if self.mark == WITHHELD:
            return {"withheld": True}
        return self.value


def label(dimension: str, key: str) -> str:
    if (dimension, key) in SPECIAL:
        return str(SPECIAL[dimension, key])
    if dimension in LABELS:
        return str(LABELS[dimension].get(key, key))
    return key  # a category: the event's own name for it


def sections(snapshot: dict) -> list[dict]:
    """[{key, title, heading, rows: [(label, Cell)]}], total first."""
    threshold = snapshot["threshold"]
    found = {}
    for dimension, key, value, mark in snapshot["cells"]:
        found.setdefault(dimension, []).append(
            (label(dimension, key), Cell(value, mark, threshold))
        )
    return [
        {"key": d, "title": TITLES[d], "heading": HEADINGS[d], "rows": found[d]}
        for d in ("total", "category", "channel", "outcome")
        if d in found
    ]


def times(snapshot: dict) -> list[tuple]:
    """(label, {"median", "p90"} or None) for each measured time."""
    return [(title, snapshot["times"].get(key)) for key, title in TIMES]


def hours(value: int) -> str:
    return _("less than an hour") if value == 0 else str(value)


def _safe(text: str) -> str:
    """A spreadsheet must not run a category name as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(snapshot: dict) -> str:
    """One table per section, each with its header row, a blank line between."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for section in sections(snapshot):
        writer.writerow([str(section["heading"]), _("Cases")])
        for row_label, cell in section["rows"]:
            writer.writerow([_safe(row_label), cell.csv])
        writer.writerow([])
    writer.writerow([_("Time"), _("Median hours"), _("90th percentile hours")])
    for title, measured in times(snapshot):
        if measured is None:
            writer.writerow([str(title), "not shown", "not shown"])
        else:
            writer.writerow([str(title), measured["median"], measured["p90"]])
    return out.getvalue()


def as_json(snapshot: dict, prose: str) -> dict:
    return {
        "scope": snapshot["scope"],
        "year": snapshot["year"],
        "threshold": snapshot["threshold"],
        "text": prose,
        "tables": {
            section["key"]: [[row_label, cell.json] for row_label, cell in section["rows"]]
            for section in sections(snapshot)
        },
        "hours": {key: snapshot["times"].get(key) for key, _title in TIMES},
    }
