"""Suppression: no hidden number of any published table can be worked out.

The unit tests pin the rules; the property tests draw small families of tables
(one to three events and their organisation-year) and brute-force what a reader
can do: every single published relation with its other terms published, and
every combination of relations (each hidden cell must take at least two values
among the integer solutions that a reader cannot tell apart).
"""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ombud.transparency.suppression import (
    ORGANISATION,
    SMALL,
    TOTAL,
    WITHHELD,
    Table,
    leaks,
    relations,
    suppress,
)


def _table(name, threshold=5, **dims) -> Table:
    values = {}
    for dimension, counts in dims.items():
        for i, n in enumerate(counts):
            values[(dimension, f"k{i}")] = n
    total = sum(next(iter(dims.values()))) if dims else 0
    values[TOTAL] = total
    return Table(name, threshold, values=values)


def _family(*events) -> dict:
    tables = {}
    for i, dims in enumerate(events):
        tables[f"event:{i}"] = _table(f"event:{i}", **dims)
    organisation = Table(ORGANISATION, 5)
    for table in tables.values():
        for key, value in table.values.items():
            organisation.values[key] = organisation.values.get(key, 0) + value
    tables[ORGANISATION] = organisation
    return tables


def _publish_all(tables) -> dict:
    for name in tables:
        suppress(tables, name)
    return tables


def test_every_count_under_the_threshold_reads_fewer_than():
    tables = {"event:0": _table("event:0", channel=[20, 7, 3])}
    marks = suppress(tables, "event:0")
    assert marks[("channel", "k2")] == SMALL
    assert tables["event:0"].is_shown(("channel", "k0"))


def test_one_small_cell_in_a_row_takes_the_next_smallest_with_it():
    tables = {"event:0": _table("event:0", channel=[20, 7, 3])}
    marks = suppress(tables, "event:0")
    # 3 alone would be 30 - 20 - 7: the 7 is withheld too, the 20 and the total stay.
    assert marks == {("channel", "k2"): SMALL, ("channel", "k1"): WITHHELD}


def test_an_event_with_two_reports_shows_nothing():
    tables = {"event:0": _table("event:0", channel=[1, 1, 0], outcome=[2, 0], category=[0, 2])}
    marks = suppress(tables, "event:0")
    assert set(marks) == set(tables["event:0"].values)
    assert set(marks.values()) == {SMALL}


def test_small_cells_summing_to_zero_are_not_left_at_zero():
    # 10 = 10 + 0 + 0: two hidden zeros would both be known to be 0.
    tables = {"event:0": _table("event:0", channel=[10, 0, 0])}
    marks = suppress(tables, "event:0")
    assert marks[("channel", "k0")] == WITHHELD
    assert not leaks(tables)


def test_small_cells_at_their_maximum_are_not_left_there():
    # 4 + 4 = 20 - 12: with "fewer than 5" on both, each must be 4.
    tables = {"event:0": _table("event:0", channel=[12, 4, 4])}
    suppress(tables, "event:0")
    assert tables["event:0"].marks[("channel", "k0")] == WITHHELD
    assert not leaks(tables)


def test_the_organisation_year_does_not_give_away_an_event_by_subtraction():
    # Event 0 shows its 3 as "fewer than 5"; the year's 9 minus event 1's 6 would say 3.
    tables = _family({"channel": [20, 3, 6]}, {"channel": [30, 6, 8]})
    _publish_all(tables)
    assert not leaks(tables)
    organisation, first, second = tables[ORGANISATION], tables["event:0"], tables["event:1"]
    assert first.marks[("channel", "k1")] == SMALL
    assert not (organisation.is_shown(("channel", "k1")) and second.is_shown(("channel", "k1"))), (
        "the year's cell and the other event's cell would give the small one away"
    )


def test_a_hidden_event_is_not_given_away_by_the_year_minus_a_published_event():
    tables = _family({"channel": [20, 9, 6]}, {"channel": [30, 2, 8]})
    suppress(tables, "event:0")
    suppress(tables, ORGANISATION)  # event 1 is not published
    assert not leaks(tables)
    assert not (
        tables[ORGANISATION].is_shown(("channel", "k1"))
        and tables["event:0"].is_shown(("channel", "k1"))
    )


def test_a_table_published_earlier_is_not_changed_by_a_later_one():
    tables = _family({"channel": [20, 3, 6]}, {"channel": [30, 6, 8]})
    first = dict(suppress(tables, "event:0"))
    suppress(tables, ORGANISATION)
    suppress(tables, "event:1")
    assert tables["event:0"].marks == first
    assert not leaks(tables)


# --- brute force -----------------------------------------------------------------


def _reader_view(tables):
    """What a reader sees: (name, key) -> number for shown cells; the hidden ones with
    the upper bound a reader knows (threshold - 1 for "fewer than")."""
    shown, hidden = {}, {}
    for name, table in tables.items():
        for key, value in table.values.items():
            if table.is_shown(key):
                shown[(name, key)] = value
            else:
                small = table.published and table.marks.get(key) == SMALL
                hidden[(name, key)] = table.threshold - 1 if small else None
    return shown, hidden


def _single_relation_leaks(tables) -> set:
    """A hidden cell that is the only hidden term of a relation."""
    _shown, hidden = _reader_view(tables)
    found = set()
    for equation in relations(tables):
        terms = [v for v in equation if v in hidden]
        if len(terms) == 1:
            found.add(terms[0])
    return found


def _solutions(tables, cap):
    """Every non-negative integer filling of the hidden cells (each ≤ cap, within what a
    reader knows) that satisfies every relation with the shown numbers: a depth-first
    search that fills a cell whenever a relation has only one left open."""
    shown, hidden = _reader_view(tables)
    equations = relations(tables)
    limit = {v: cap if bound is None else bound for v, bound in hidden.items()}

    def settle(values):
        """Fill what the relations force; None when a relation cannot hold."""
        values = dict(values)
        changed = True
        while changed:
            changed = False
            for eq in equations:
                open_terms = [v for v in eq if v not in values]
                rest = sum(c * values[v] for v, c in eq.items() if v in values)
                if not open_terms:
                    if rest:
                        return None
                elif len(open_terms) == 1:
                    var = open_terms[0]
                    value = -rest * eq[var]
                    if not 0 <= value <= limit[var]:
                        return None
                    values[var] = value
                    changed = True
        return values

    def search(values):
        values = settle(values)
        if values is None:
            return
        pending = [v for v in sorted(hidden, key=repr) if v not in values]
        if not pending:
            yield {v: values[v] for v in hidden}
            return
        for value in range(limit[pending[0]] + 1):
            yield from search({**values, pending[0]: value})

    yield from search(shown)


def _protected(tables, cap) -> set:
    """Hidden cells of published tables that keep at least two possible values."""
    seen = {}
    for solution in _solutions(tables, cap):
        for var, value in solution.items():
            seen.setdefault(var, set()).add(value)
    return {var for var, values in seen.items() if len(values) > 1}


def _small(tables, var) -> bool:
    """A number the reader must not learn: a hidden one under 5 ("fewer than 5", a
    withheld small one, or one of a table not published). Learning a withheld 5 or
    more tells no small number."""
    table = tables[var[0]]
    return not table.is_shown(var[1]) and table.values[var[1]] < table.threshold


counts = st.lists(st.integers(min_value=0, max_value=9), min_size=2, max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(counts, min_size=1, max_size=3), order=st.randoms())
def test_no_suppressed_cell_is_the_only_unknown_of_a_published_relation(events, order):
    tables = _family(*({"channel": c} for c in events))
    names = list(tables)
    order.shuffle(names)
    published = names[: order.randint(1, len(names))]
    for name in published:
        suppress(tables, name)
        assert not leaks(tables)
    secret = {var for var in _single_relation_leaks(tables) if _small(tables, var)}
    assert not secret


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.lists(st.integers(0, 7), min_size=2, max_size=3),
    second=st.lists(st.integers(0, 7), min_size=2, max_size=3),
    order=st.randoms(),
)
def test_no_small_number_is_fixed_by_all_relations_together(first, second, order):
    """Exhaustive: every integer solution a reader cannot rule out, for two events and
    their year published in any order, some not at all; each small number they hide
    keeps at least two possible values."""
    tables = _family({"channel": first}, {"channel": second})
    names = list(tables)
    order.shuffle(names)
    for name in names[: order.randint(1, len(names))]:
        suppress(tables, name)
    secret = {(n, k) for n, table in tables.items() for k in table.values if _small(tables, (n, k))}
    cap = sum(first) + sum(second) + 4  # beyond any true cell: a reader knows no bound
    assert secret <= _protected(tables, cap)


def test_two_events_of_two_channels_every_combination():
    """All 6⁴ families of two events with two channels each, everything published."""
    for a, b, c, d in itertools.product(range(6), repeat=4):
        tables = _publish_all(_family({"channel": [a, b]}, {"channel": [c, d]}))
        secret = {
            (n, k) for n, table in tables.items() for k in table.values if _small(tables, (n, k))
        }
        if secret:
            assert secret <= _protected(tables, a + b + c + d + 4), (a, b, c, d)
