"""The event behind a public URL, looked up on every report: one prepared query.

The ORM's ``select_related("organisation").filter(slug=...)`` spends ten times
longer compiling than SQLite spends answering. The statement here is built once per
process from the models' own fields and each row goes through the converters the
ORM would apply (``db.rows``), so the instances are what the ORM returns — read
fresh on every call, nothing cached that could go stale.
"""

from django.db import connection

from ombud.db import rows
from ombud.events.models import Event, Organisation

_prepared: dict = {}


def _statement():
    prepared = _prepared.get(connection.vendor)
    if prepared is None:
        quote = connection.ops.quote_name
        on = (Organisation._meta.pk.column, Event._meta.get_field("organisation").column)
        # Names from the models' own metadata only; the slug is a parameter.
        sql = (
            f"SELECT {rows.column_list(Event, 'e')}, {rows.column_list(Organisation, 'o')} "  # noqa: S608
            f"FROM {quote(Event._meta.db_table)} e "
            f"JOIN {quote(Organisation._meta.db_table)} o ON o.{quote(on[0])} = e.{quote(on[1])} "
            f"WHERE e.{quote(Event._meta.get_field('slug').column)} = %s"
        )
        prepared = (sql, rows.converters(Event, "e"), rows.converters(Organisation, "o"))
        _prepared[connection.vendor] = prepared
    return prepared


def event_by_slug(slug: str) -> Event | None:
    """The event with its organisation, or None."""
    if "\x00" in slug:  # not a slug, and PostgreSQL refuses it in a query
        return None
    sql, event_columns, organisation_columns = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(event_columns)
    event = rows.instance(Event, row[:split], event_columns)
    organisation = rows.instance(Organisation, row[split:], organisation_columns)
    Event.organisation.field.set_cached_value(event, organisation)
    return event
