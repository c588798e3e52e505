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
- ``WITHHELD``: complementary suppression, any number (also a small number when
  "fewer than 5" would itself give it away);
- hidden: the table is not published at all (another event's report not yet out).

``leaks`` answers, from what a reader sees, which hidden numbers can be worked out:
exactly, by any combination of the published relations (reduced row echelon form
over the rationals), or by one relation together with the bounds a reader knows
(all non-negative, small cells below the threshold). ``suppress`` adds
complementary suppression to one table until it adds no leak. Pure Python, no
database: the services feed it.
"""

import math
from dataclasses import dataclass, field
from fractions import Fraction
from math import inf

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
    # False for a table read back from a published snapshot: its hidden numbers are
    # not known here, so any of them may be small.
    exact: bool = True

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


# Interval propagation can creep along a cycle one unit a round: stop somewhere.
_ROUNDS = 100
_RHS = ("=", "")  # the constant side of a row; never a pivot


def _subtract(row: dict, factor, other: dict) -> None:
    for v, c in other.items():
        value = row.get(v, 0) - factor * c
        if value:
            row[v] = value
        else:
            row.pop(v, None)


def _solved(equations: list[dict], unknown: set, value) -> dict:
    """The unknowns the equations fix, with their values: pivots of the reduced row
    echelon form (over the rationals) whose row holds no free unknown."""
    pivots: dict = {}
    for equation in equations:
        row = {v: Fraction(c) for v, c in equation.items() if v in unknown}
        constant = -sum(c * value(v) for v, c in equation.items() if v not in unknown)
        if constant:
            row[_RHS] = Fraction(constant)
        for pivot, pivot_row in pivots.items():
            if row.get(pivot):
                _subtract(row, row[pivot], pivot_row)
        if not set(row) - {_RHS}:
            continue
        pivot = min(set(row) - {_RHS}, key=repr)  # a fixed choice keeps runs repeatable
        scale = row[pivot]
        row = {v: c / scale for v, c in row.items()}
        for other in pivots.values():
            if other.get(pivot):
                _subtract(other, other[pivot], row)
        pivots[pivot] = row
    return {
        pivot: row.get(_RHS, 0) for pivot, row in pivots.items() if not set(row) - {pivot, _RHS}
    }


def _upper(tables, var):
    """The largest value a reader knows a hidden cell can have (None: no bound)."""
    table = tables[var[0]]
    if table.published and table.marks.get(var[1]) == SMALL:
        return table.threshold - 1
    return None


def _bounded(tables, equations, unknown, value) -> dict:
    """Unknowns the relations fix together with the bounds a reader knows (every
    count is 0 or more, "fewer than 5" is at most 4): each relation narrows each of
    its hidden terms to what the others' ranges leave, again and again (interval
    propagation). E.g. two "fewer than 5" summing to 8 are both 4; a withheld cell
    that one relation puts at 6 or more and another at 6 or less is 6."""
    low = dict.fromkeys(unknown, 0)
    high = {v: (_upper(tables, v) if _upper(tables, v) is not None else inf) for v in unknown}
    for _round in range(_ROUNDS):
        changed = False
        for equation in equations:
            hidden = [v for v in equation if v in unknown]
            if not hidden:
                continue
            constant = sum(c * value(v) for v, c in equation.items() if v not in unknown)
            for var in hidden:
                # c·x = -(constant + Σ others): the others' range bounds x.
                rest_low = constant
                rest_high = constant
                for other in hidden:
                    if other is var:
                        continue
                    c = equation[other]
                    rest_low += c * (low[other] if c > 0 else high[other])
                    rest_high += c * (high[other] if c > 0 else low[other])
                c = equation[var]
                new_low, new_high = sorted((-rest_high / c, -rest_low / c))
                if new_low > low[var]:
                    low[var], changed = math.ceil(new_low), True
                if new_high < high[var]:
                    high[var], changed = math.floor(new_high), True
        if not changed:
            break
    return {v: low[v] for v in unknown if low[v] == high[v]}


def _unknowns(tables) -> set:
    return {
        (name, key)
        for name, table in tables.items()
        for key in table.values
        if not table.is_shown(key)
    }


def _found(tables) -> set:
    """Every hidden cell a reader can pin to one value, small or not: by the relations
    together, by one relation and the bounds, and again with what that gave, until
    nothing more comes out."""
    unknown = _unknowns(tables)
    equations = relations(tables)
    known: dict = {}

    def value(var):
        return known[var] if var in known else tables[var[0]].values.get(var[1], 0)

    while True:
        left = unknown - set(known)
        more = _solved(equations, left, value)
        more.update(_bounded(tables, equations, left, value))
        if not more:
            return set(known)
        known.update(more)


def leaks(tables: dict[str, Table]) -> set:
    """The small numbers a reader can work out: a cell published as "fewer than …",
    a withheld cell that is (or, read back from a snapshot, may be) small, or a cell
    of an unpublished table whose true value is under the threshold. Working out a
    withheld cell known to be large gives no small number away."""
    return {var for var in _found(tables) if _is_small(tables[var[0]], var[1])}


def _is_small(table: Table, key) -> bool:
    mark = table.marks.get(key) if table.published else None
    if mark == SMALL:
        return True
    if mark == WITHHELD and not table.exact:
        return True
    return table.values[key] < table.threshold


def suppress(tables: dict[str, Table], target: str) -> dict:
    """Mark ``target``'s cells so that publishing it adds no leak to the family.

    Every cell under the threshold is SMALL; then, while publishing it would let a
    reader work a small number out, the smallest shown cell of ``target`` in a
    relation through a leaking cell is WITHHELD too (totals last). Leaks the family
    had before (numbers changed since others were published) are not ours to fix.
    Each round withholds one more cell, so it ends. A withheld cell a reader can
    work out anyway protects nothing and is shown at the end. Returns the marks."""
    table = tables[target]
    table.published = False
    before = leaks(tables)
    table.published = True
    table.marks = {k: SMALL for k, v in table.values.items() if v < table.threshold}
    while new := leaks(tables) - before:
        near = {
            var[1]
            for equation in relations(tables)
            if any(v in new for v in equation)
            for var in equation
            if var[0] == target
        }
        shown = {k for k in near if table.is_shown(k)} or {
            k for k in table.values if table.is_shown(k)
        }
        # Once nothing is left to withhold, "fewer than 5" itself may be what gives a
        # number away (e.g. two of them under a published 8): say "withheld" instead.
        bounded = {k for k in near if table.marks.get(k) == SMALL} or {
            k for k, mark in table.marks.items() if mark == SMALL
        }
        candidates = shown or bounded
        if not candidates:
            break  # everything is withheld: the table tells nothing
        chosen = min(candidates, key=lambda k: (k == TOTAL, table.values[k], repr(k)))
        table.marks[chosen] = WITHHELD
    for var in _found(tables):
        key = var[1]
        shown_anyway = table.marks.get(key) == WITHHELD and table.values[key] >= table.threshold
        if var[0] == target and shown_anyway:
            del table.marks[key]
    return table.marks
