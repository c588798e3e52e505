"""Inserting rows with SQL built once per model: the write path of a report.

Django's ``save`` and ``bulk_create`` compile their INSERT anew on every call, and
for the dozen small rows of a report that compiling costs several times what the
database does with them — all of it while the write lock is held. Here the
statement is built once per model and row count, and each value goes through its
field's own ``pre_save`` and ``get_db_prep_save``, exactly as Django's compiler
would prepare it. No signals are sent (as with ``bulk_create``): the models written
here have no receivers.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKey,
    IntegerField,
    OneToOneField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SmallAutoField,
    SmallIntegerField,
    TextField,
)

_AUTO = (AutoField, BigAutoField, SmallAutoField)
# Fields whose value of this Python type is its database value as it is: their own
# preparation (``to_python`` of a str, a bool) gives it back unchanged. Integers only
# on SQLite: psycopg's server-side binding wants them wrapped in a sized type.
_PLAIN = {CharField: str, TextField: str, BooleanField: bool}
_PLAIN_INTEGERS = (
    IntegerField,
    BigIntegerField,
    SmallIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    *_AUTO,
)
_fields: dict = {}
_columns: dict = {}
_statements: dict = {}
# The last timestamp adapted: (the datetime, the database vendor, its database value).
_moment: tuple = (None, "", None)


def _plain_type(field, vendor: str):
    if type(field) in (ForeignKey, OneToOneField):
        field = field.target_field
    if vendor == "sqlite" and type(field) in _PLAIN_INTEGERS:
        return int
    return _PLAIN.get(type(field))


def _db_value(field, obj, connection):
    value = field.pre_save(obj, True)
    if value is not None and type(field) is DateTimeField:
        # A report's dozen rows share one timestamp: converted once, not per column.
        global _moment  # noqa: PLW0603 -- a one-entry cache; swapping the tuple is atomic
        moment, vendor, adapted = _moment
        if moment is value and vendor == connection.vendor:
            return adapted
        adapted = field.get_db_prep_save(value, connection)
        _moment = (value, connection.vendor, adapted)
        return adapted
    return field.get_db_prep_save(value, connection)


def _insert_fields(model) -> list:
    fields = _fields.get(model)
    if fields is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not (f.primary_key and isinstance(f, _AUTO))]
        _fields[model] = fields
    return fields


def _insert_columns(model, vendor: str) -> list:
    """(field, attribute name, the Python type stored as it is or None) per column."""
    columns = _columns.get((model, vendor))
    if columns is None:
        columns = [(f, f.attname, _plain_type(f, vendor)) for f in _insert_fields(model)]
        _columns[(model, vendor)] = columns
    return columns


def _row_values(columns, obj, connection) -> list:
    values = []
    for field, attname, plain in columns:
        if plain is not None:
            value = getattr(obj, attname)
            if value is None or type(value) is plain:
                values.append(value)
                continue
        values.append(_db_value(field, obj, connection))
    return values


def _statement(connection, model, count: int, *, returning: bool, ignore_conflicts: bool) -> str:
    key = (model, count, returning, ignore_conflicts, connection.vendor)
    sql = _statements.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        fields = _insert_fields(model)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        # Names from the model's own metadata only; every value is a parameter.
        sql = "INSERT INTO {} ({}) VALUES {}".format(  # noqa: S608
            quote(model._meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join([row] * count),
        )
        if ignore_conflicts:
            # Only a uniqueness conflict is passed over (unlike SQLite's INSERT OR IGNORE).
            sql += " ON CONFLICT DO NOTHING"
        if returning:
            sql += f" RETURNING {quote(model._meta.pk.column)}"
        _statements[key] = sql
    return sql


class Insert:
    """One INSERT with its values already prepared: built before the write lock is
    taken, so that only the statement itself runs while it is held."""

    __slots__ = ("ignore_conflicts", "objs", "params", "returning", "sql")

    def __init__(self, objs, *, ignore_conflicts: bool = False):
        self.objs = list(objs)
        self.ignore_conflicts = ignore_conflicts
        self.sql, self.params, self.returning = "", [], False
        if self.objs:
            self.prepare()

    def prepare(self, *names: str) -> None:
        """(Again, after the caller changed a row; with ``names``, only those fields.)"""
        # The connection itself, not the thread-local proxy: every field asks for it.
        connection = connections[DEFAULT_DB_ALIAS]
        model = type(self.objs[0])
        fields = _insert_fields(model)
        if names and self.sql:
            if unknown := set(names) - {f.name for f in fields}:
                raise ValueError(f"not a column of this insert: {', '.join(sorted(unknown))}")
            width = len(fields)
            for index, f in enumerate(fields):
                if f.name in names:
                    for row, obj in enumerate(self.objs):
                        self.params[row * width + index] = _db_value(f, obj, connection)
            return
        columns = _insert_columns(model, connection.vendor)
        params = []
        for obj in self.objs:
            if type(obj) is not model:
                raise TypeError("an Insert takes rows of one model")
            params.extend(_row_values(columns, obj, connection))
        self.params = params
        self.returning = isinstance(model._meta.pk, _AUTO) and not self.ignore_conflicts
        self.sql = _statement(
            connection,
            model,
            len(self.objs),
            returning=self.returning,
            ignore_conflicts=self.ignore_conflicts,
        )

    def run(self, cursor=None) -> int:
        """Returns the rows written. Auto-numbered primary keys are set on the instances
        (unless conflicts are ignored: then the caller knows its rows by their own keys).
        ``cursor``: one the caller keeps open for several statements."""
        if not self.objs:
            return 0
        connection = connections[DEFAULT_DB_ALIAS]
        if cursor is None:
            with connection.cursor() as own:
                return self.run(own)
        cursor.execute(self.sql, self.params)
        if self.returning:
            pk = self.objs[0]._meta.pk
            # In the order of VALUES, as Django's bulk_create relies on too.
            for obj, (value,) in zip(self.objs, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)
            written = len(self.objs)
        else:
            written = cursor.rowcount
        for obj in self.objs:
            obj._state.adding = False
            obj._state.db = connection.alias
        return written


def insert(objs, *, ignore_conflicts: bool = False) -> int:
    """Insert unsaved instances of one model in one statement; returns the rows written."""
    return Insert(objs, ignore_conflicts=ignore_conflicts).run()


# Reading: the same idea for the few lookups every report makes.


def _converters(field, alias: str, connection) -> tuple:
    col = field.get_col(alias)
    return (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))


def _converted(raw, column, connection):
    col, functions = column
    value = raw
    for function in functions:
        value = function(value, col, connection)
    return value


def converters(model, alias: str) -> list:
    """Per column of ``model``: the converters the ORM applies to what the database gives."""
    connection = connections[DEFAULT_DB_ALIAS]
    return [_converters(f, alias, connection) for f in model._meta.concrete_fields]


def instance(model, values, columns):
    """A model instance from a row of its concrete fields, as the ORM would build it."""
    connection = connections[DEFAULT_DB_ALIAS]
    converted = [
        _converted(raw, column, connection) for raw, column in zip(values, columns, strict=True)
    ]
    return model.from_db(
        connection.alias, [f.attname for f in model._meta.concrete_fields], converted
    )


def converted(field, raw):
    """A value of ``field`` as the database gave it (from a prepared aggregate over its
    column, say), converted as the ORM would."""
    connection = connections[DEFAULT_DB_ALIAS]
    return _converted(raw, _converters(field, "t", connection), connection)


def column_list(model, alias: str) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def _prepared(key: tuple, build):
    """The statement (with its converters) for ``key``, built once per process."""
    prepared = _statements.get(key)
    if prepared is None:
        prepared = _statements[key] = build()
    return prepared


def _fetched(connection, sql: str, params) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def select(model, where: str, params) -> list:
    """Instances of ``model`` matching ``where`` (SQL over its columns, aliased ``t``, with
    %s placeholders; written in code, never built from input)."""
    connection = connections[DEFAULT_DB_ALIAS]

    def build():
        table = connection.ops.quote_name(model._meta.db_table)
        sql = f"SELECT {column_list(model, 't')} FROM {table} t WHERE {where}"  # noqa: S608
        return sql, converters(model, "t")

    sql, columns = _prepared(("select", model, where, connection.vendor), build)
    return [instance(model, row, columns) for row in _fetched(connection, sql, params)]


def values(model, fields: tuple, where: str, params) -> list[tuple]:
    """The ``fields`` (attribute names) of the rows of ``model`` matching ``where`` (as in
    ``select``), each value converted as the ORM would: for lists that need a column or
    two of many rows' worth of small lookups, without building model instances."""
    connection = connections[DEFAULT_DB_ALIAS]

    def build():
        quote = connection.ops.quote_name
        chosen = [model._meta.get_field(name) for name in fields]
        sql = "SELECT {} FROM {} t WHERE {}".format(  # noqa: S608 -- names from the model
            ", ".join(f"t.{quote(f.column)}" for f in chosen),
            quote(model._meta.db_table),
            where,
        )
        return sql, [_converters(f, "t", connection) for f in chosen]

    sql, columns = _prepared(("values", model, fields, where, connection.vendor), build)
    return [
        tuple(_converted(raw, column, connection) for raw, column in zip(row, columns, strict=True))
        for row in _fetched(connection, sql, params)
    ]


def latest(model, group: str, field: str, where: str, params) -> dict:
    """``group`` value -> the greatest ``field`` among the rows of ``model`` matching
    ``where`` (as in ``select``), both converted as the ORM would."""
    connection = connections[DEFAULT_DB_ALIAS]

    def build():
        quote = connection.ops.quote_name
        by, of = model._meta.get_field(group), model._meta.get_field(field)
        sql = "SELECT t.{0}, MAX(t.{1}) FROM {2} t WHERE {3} GROUP BY t.{0}".format(  # noqa: S608
            quote(by.column), quote(of.column), quote(model._meta.db_table), where
        )
        return sql, _converters(by, "t", connection), _converters(of, "t", connection)

    key = ("latest", model, group, field, where, connection.vendor)
    sql, by, of = _prepared(key, build)
    return {
        _converted(value, by, connection): _converted(greatest, of, connection)
        for value, greatest in _fetched(connection, sql, params)
    }


def keys(model, field: str, found) -> tuple[str, list]:
    """``found`` values of ``model.field`` as parameters: (their placeholders, the values
    as the database takes them), for ``... IN (placeholders)`` in ``select``, ``values``
    or ``latest``. The list is padded to a power of two with its last value again (the
    same rows): a few statements serve every length, instead of one per length."""
    connection = connections[DEFAULT_DB_ALIAS]
    target = model._meta.get_field(field)
    params = [target.get_db_prep_value(value, connection) for value in found]
    if params:
        params += params[-1:] * ((1 << (len(params) - 1).bit_length()) - len(params))
    return ", ".join(["%s"] * len(params)), params
