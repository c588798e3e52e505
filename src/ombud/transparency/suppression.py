"""Small-number suppression across every published table of an organisation's year.

The tables of one organisation-year form one family: each event's table and the
organisation-year table. Within a table, each dimension's cells (category, channel,
outcome) sum to the table's total; across tables, each organisation-year cell is the
sum of the events' cells of the same key. Those are the linear relations a reader
can use to work a hidden number out.

A cell is one of:

- shown: its number is published;
- ``SMALL``: fewer than the threshold (primary suppression), published as
  "fewer than 5" — a reader knows it lies in 0 … threshold - 1;
- ``WITHHELD``: complementary suppression, any number;
- hidden: the table is not published at all (another event's report not yet out).

``leaks`` answers, from what a reader sees, which hidden numbers can be worked out:
exactly, by any combination of the published relations (reduced row echelon form
over the rationals), or by one relation together with the bounds a reader knows
(all non-negative, small cells below the threshold). ``suppress`` adds
complementary suppression to one table until it adds no leak. Pure Python, no
database: the services feed it.
"""

from dataclasses import dataclass, field
from fractions import Fraction

SMALL = "small"
WITHHELD = "withheld"
TOTAL = ("total", "")
DIMENSIONS = ("category", "channel", "outcome")
ORGANISATION = "organisation"


@dataclass
class Table:
    """One table: its cells' true values, and what a reader sees of them.

    ``shown`` maps each key to None (published), SMALL or WITHHELD; a table
    that is not published has ``published=False`` and every cell is hidden.
    ``values`` are true values: only ever used for shown cells and to choose.
    """

    name: str
    threshold: int
    values: dict = field(default_factory=dict)  # (dimension, key) -> count
    published: bool = False
    marks: dict = field(default_factory=dict)  # (dimension, key) -> SMALL | WITHHELD

    def is_shown(self, key) -> bool:
        return self.published and key not in self.marks


def relations(tables: dict[str, Table]) -> list[dict]:
    """Every linear relation between the family's cells, as {(table, key): ±1} = 0."""
    equations = []
    for name, table in tables.items():
        for dimension in DIMENSIONS:
            keys = [k for k in table.values if k[0] == dimension]
            if keys:
                eq = {(name, k): 1 for k in keys}
                eq[(name, TOTAL)] = -1
                equations.append(eq)
    organisation = tables.get(ORGANISATION)
    if organisation is not None:
        events = [t for n, t in tables.items() if n != ORGANISATION]
        for key in organisation.values:
            eq = {(ORGANISATION, key): 1}
            for event in events:
                if key in event.values:
                    eq[(event.name, key)] = -1
            equations.append(eq)
    return equations


def _determined(equations: list[dict], unknown: set) -> set:
    """The unknowns fixed by the equations: pivots of the reduced row echelon form
    whose row holds no free unknown."""
    pivots: dict = {}
    for equation in equations:
        row = {v: Fraction(c) for v, c in equation.items() if v in unknown}
        for pivot, pivot_row in pivots.items():
            factor = row.get(pivot)
            if factor:
                for v, c in pivot_row.items():
                    value = row.get(v, 0) - factor * c
                    if value:
                        row[v] = value
                    else:
                        row.pop(v, None)
        if not row:
            continue
        pivot = min(row, key=repr)  # any entry; a fixed choice keeps runs repeatable
        scale = row[pivot]
        row = {v: c / scale for v, c in row.items()}
        for other in pivots.values():
            factor = other.get(pivot)
            if factor:
                for v, c in row.items():
                    value = other.get(v, 0) - factor * c
                    if value:
                        other[v] = value
                    else:
                        other.pop(v, None)
        pivots[pivot] = row
    return {pivot for pivot, row in pivots.items() if len(row) == 1}


def _upper(tables, var):
    """The largest value a reader knows a hidden cell can have (None: no bound)."""
    table = tables[var[0]]
    if table.published and table.marks.get(var[1]) == SMALL:
        return table.threshold - 1
    return None


def _bounded(tables, equations, unknown) -> set:
    """Unknowns one relation fixes with the bounds a reader knows: when every hidden
    term stands on the same side, their sum is known, and a cell is fixed when the
    others' bounds leave it one value (e.g. the sum is 0, or all are at their maximum)."""
    fixed = set()
    for equation in equations:
        hidden = [v for v in equation if v in unknown]
        if not hidden or len({equation[v] for v in hidden}) != 1:
            continue
        sign = equation[hidden[0]]
        known = sum(
            c * tables[v[0]].values.get(v[1], 0) for v, c in equation.items() if v not in unknown
        )
        total = -known * sign
        if total < 0:
            continue  # published numbers of different moments: no exact relation
        uppers = [_upper(tables, v) for v in hidden]
        for i, var in enumerate(hidden):
            others = uppers[:i] + uppers[i + 1 :]
            low = 0 if None in others else max(0, total - sum(others))
            high = total if uppers[i] is None else min(uppers[i], total)
            if low == high:
                fixed.add(var)
    return fixed


def leaks(tables: dict[str, Table]) -> set:
    """The hidden cells a reader can work out: every suppressed cell of a published
    table, and a hidden table's cell when its true value is under the threshold."""
    unknown = {
        (name, key)
        for name, table in tables.items()
        for key in table.values
        if not table.is_shown(key)
    }
    equations = relations(tables)
    found = _determined(equations, unknown) | _bounded(tables, equations, unknown)
    return {var for var in found if _matters(tables[var[0]], var[1])}


def _matters(table: Table, key) -> bool:
    if table.published:
        return True
    return table.values[key] < table.threshold


def suppress(tables: dict[str, Table], target: str) -> dict:
    """Mark ``target``'s cells so that publishing it adds no leak to the family.

    Every cell under the threshold is SMALL; then, while publishing it would let a
    reader work a hidden number out, the smallest shown cell of ``target`` in a
    relation through a leaking cell is WITHHELD too (totals last). Leaks the family
    had before (numbers changed since others were published) are not ours to fix.
    Each round withholds one more cell, so it ends. Returns the marks."""
    table = tables[target]
    table.published = False
    before = leaks(tables)
    table.published = True
    table.marks = {k: SMALL for k, v in table.values.items() if v < table.threshold}
    while True:
        new = leaks(tables) - before
        if not new:
            return table.marks
        candidates = {
            var[1]
            for equation in relations(tables)
            if any(v in new for v in equation)
            for var in equation
            if var[0] == target and table.is_shown(var[1])
        }
        if not candidates:
            candidates = {k for k in table.values if table.is_shown(k)}
        if not candidates:
            return table.marks  # everything is hidden already
        chosen = min(candidates, key=lambda k: (k == TOTAL, table.values[k], repr(k)))
        table.marks[chosen] = WITHHELD
