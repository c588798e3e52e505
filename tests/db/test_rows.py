"""db.rows: prepared inserts and selects give exactly what the ORM would."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from ombud.cases.models import Case, Status
from ombud.db import rows
from ombud.events.models import Event
from ombud.events.queries import event_by_slug
from ombud.notify.models import AlertChannel, OutboxMessage
from ombud.notify.services import _enabled_channels
from ombud.vault.models import KeyWrap, RecipientKind

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _outbox(cast, n, **extra):
    now = timezone.now()
    return OutboxMessage(
        kind=OutboxMessage.Kind.NEW_REPORT,
        recipient=cast.lead,
        address=f"lead{n}@example.org",
        context={"event_name": "Conf", "n": n, "nested": {"ü": [1, 2]}},
        created_at=now,
        next_attempt_at=now + timedelta(seconds=n),
        **extra,
    )


def test_an_insert_writes_what_the_orm_reads_back_and_numbers_the_rows(cast):
    written = [_outbox(cast, n) for n in range(3)]
    with transaction.atomic():
        assert rows.insert(written) == 3
    assert all(m.pk for m in written)
    assert len({m.pk for m in written}) == 3
    for message in written:
        assert not message._state.adding
        assert _fields(OutboxMessage.objects.get(pk=message.pk)) == _fields(message)


def test_binary_uuid_and_defaults_survive_the_round_trip(cast):
    keyring = uuid.uuid4()
    wrap = KeyWrap(
        keyring=keyring,
        recipient_kind=RecipientKind.PERSON,
        recipient_ref=str(cast.lead.pk),
        wrapped=bytes(range(256)),
    )
    rows.insert([wrap])
    stored = KeyWrap.objects.get(keyring=keyring)
    assert bytes(stored.wrapped) == bytes(range(256))
    assert stored.recipient_ref == str(cast.lead.pk)


def test_a_conflict_is_passed_over_only_when_asked_and_nothing_else_is_written(cast):
    now = timezone.now()
    first = Case(
        id=uuid.uuid4(), event=cast.event, code_name="amber-falcon", created_at=now, updated_at=now
    )
    rows.insert([first])
    clash = Case(
        id=uuid.uuid4(), event=cast.event, code_name="amber-falcon", created_at=now, updated_at=now
    )
    with transaction.atomic():
        assert rows.insert([clash], ignore_conflicts=True) == 0
    assert not Case.objects.filter(pk=clash.pk).exists()
    # Not asked to: the unique constraint refuses it, as the ORM's save would.
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert([clash])
    elsewhere = Case(
        id=uuid.uuid4(),
        event=cast.other_event,
        code_name="amber-falcon",
        status=Status.NEW,
        created_at=now,
        updated_at=now,
    )
    assert rows.insert([elsewhere], ignore_conflicts=True) == 1


def test_one_statement_takes_rows_of_one_model():
    with pytest.raises(TypeError):
        rows.Insert([OutboxMessage(), KeyWrap()])
    assert rows.insert([]) == 0


def test_the_values_are_prepared_before_the_statement_runs(cast):
    message = _outbox(cast, 1)
    insert = rows.Insert([message])
    message.address = "changed@example.org"  # after preparing: not written
    queries = []
    with connection.execute_wrapper(lambda execute, *a: queries.append(a[0]) or execute(*a)):
        insert.run()
    assert len(queries) == 1
    assert OutboxMessage.objects.get(pk=message.pk).address == "lead1@example.org"


def test_named_fields_are_prepared_again_and_the_others_keep_their_first_values(cast):
    messages = [_outbox(cast, n) for n in range(2)]
    insert = rows.Insert(messages)
    for message in messages:
        message.address = f"again-{message.context['n']}@example.org"
        message.attempts = 7  # not named: the value prepared first is written
    insert.prepare("address")
    with connection.cursor() as cursor:
        assert insert.run(cursor) == 2
    stored = OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).order_by("address")
    assert [(m.address, m.attempts) for m in stored] == [
        ("again-0@example.org", 0),
        ("again-1@example.org", 0),
    ]


def test_a_shared_timestamp_is_converted_once_yet_each_row_keeps_its_own(cast, monkeypatch):
    now = timezone.now()
    later = now + timedelta(minutes=5)
    first, second, third = (_outbox(cast, n) for n in range(3))
    first.created_at = first.next_attempt_at = now
    second.created_at, second.next_attempt_at = now, later
    # Equal to the last one converted but another object: converted on its own.
    third.created_at = third.next_attempt_at = now.replace()
    converted = []
    adapt = connection.ops.adapt_datetimefield_value

    def counted(value):
        if value is not None:  # the columns left empty
            converted.append(value)
        return adapt(value)

    monkeypatch.setattr(connection.ops, "adapt_datetimefield_value", counted)
    rows.insert([first, second, third])
    # Columns in the model's order (created_at before next_attempt_at): now once for
    # the first two rows, later once, and the copy of now once for the third row.
    assert converted == [now, later, now]
    assert [v is third.created_at for v in converted] == [False, False, True]
    stored = {m.pk: m for m in OutboxMessage.objects.filter(pk__in=[first.pk, second.pk, third.pk])}
    assert (stored[first.pk].created_at, stored[first.pk].next_attempt_at) == (now, now)
    assert (stored[second.pk].created_at, stored[second.pk].next_attempt_at) == (now, later)
    assert (stored[third.pk].created_at, stored[third.pk].next_attempt_at) == (now, now)


class _Text(str):
    pass


# Values whose database form must be exactly what the field's own preparation gives,
# the fast path for plain text, flags and numbers notwithstanding.
_UNUSUAL = [
    ("address", "plain@example.org"),
    ("address", _Text("subclass@example.org")),
    ("address", None),
    ("kind", OutboxMessage.Kind.NEW_REPORT),
    ("attempts", 3),
    ("attempts", True),
    ("attempts", None),
    ("recipient_id", None),
]


@pytest.mark.parametrize(("name", "value"), _UNUSUAL)
def test_every_value_reaches_the_database_as_the_fields_own_preparation_gives_it(cast, name, value):
    from django.utils.translation import gettext_lazy  # noqa: PLC0415

    message = _outbox(cast, 1)
    setattr(message, name, value)
    message.last_error = gettext_lazy("Not delivered")  # a lazy string, never as it is
    fields = rows._insert_fields(OutboxMessage)
    prepared = rows.Insert([message]).params
    expected = [f.get_db_prep_save(f.pre_save(message, True), connection) for f in fields]
    # psycopg's JSON wrapper compares by identity: compare what it wraps.
    assert [getattr(v, "obj", v) for v in prepared] == [getattr(v, "obj", v) for v in expected]
    assert [type(v) for v in prepared] == [type(v) for v in expected]


def test_a_flag_given_as_a_number_is_a_flag_in_the_database(cast):
    now = timezone.now()
    case = Case(
        id=uuid.uuid4(), event=cast.event, code_name="x", urgent=1, created_at=now, updated_at=now
    )
    params = rows.Insert([case]).params
    assert params[rows._insert_fields(Case).index(Case._meta.get_field("urgent"))] is True


def test_only_the_inserts_own_columns_can_be_prepared_again(cast):
    insert = rows.Insert([_outbox(cast, 1)])
    with pytest.raises(ValueError, match="adress"):
        insert.prepare("adress")


def test_a_prepared_select_gives_the_orms_instances(cast):
    for n, enabled in enumerate((True, False, True)):
        AlertChannel.objects.create(
            user=cast.lead,
            kind=AlertChannel.Kind.WEBHOOK,
            label=f"hook {n}",
            sealed_config=b"x",
            is_primary=n == 2,
            enabled=enabled,
        )
    found = _enabled_channels([cast.lead.pk, cast.responder.pk])
    expected = list(AlertChannel.objects.filter(user=cast.lead, enabled=True))
    assert [c.pk for c in found] == [c.pk for c in expected]  # primary first, as Meta orders
    assert [_fields(c) for c in found] == [_fields(c) for c in expected]
    assert _enabled_channels([]) == []


def test_the_event_by_slug_is_the_event_the_orm_finds_with_its_organisation(cast):
    found = event_by_slug(cast.event.slug)
    expected = Event.objects.select_related("organisation").get(pk=cast.event.pk)
    assert _fields(found) == _fields(expected)
    assert _fields(found.organisation) == _fields(expected.organisation)
    with connection.execute_wrapper(lambda *a: pytest.fail("the organisation is not fetched")):
        assert found.organisation.pk == expected.organisation_id
    assert found.starts_on == expected.starts_on  # a date, not a string


@pytest.mark.parametrize("slug", ["no-such-event", "conf\x00", "", "CONF"])
def test_no_event_for_a_slug_that_names_none(cast, slug):
    assert event_by_slug(slug) is None


def test_values_and_latest_give_what_the_orms_values_and_max_give(cast):
    cases = [
        Case.objects.create(
            id=uuid.uuid4(),
            event=cast.event,
            code_name=f"rows-{n}",
            status=Status.NEW,
            created_at=timezone.now() - timedelta(days=n, microseconds=n),
            updated_at=timezone.now(),
        )
        for n in range(3)
    ]
    ids = [c.pk for c in cases]
    marks, params = rows.keys(Case, "id", ids)
    assert params == [*params[:3], params[2]]  # padded with the last one: the same rows
    where = f"t.id IN ({marks}) ORDER BY t.created_at"
    by_orm = list(
        Case.objects.filter(pk__in=ids).order_by("created_at").values_list("id", "created_at")
    )
    assert rows.values(Case, ("id", "created_at"), where, params) == by_orm
    greatest = rows.latest(Case, "event", "created_at", f"t.id IN ({marks})", params)
    expected = Case.objects.filter(pk__in=ids).aggregate(at=Max("created_at"))["at"]
    assert greatest == {cast.event.pk: expected} == {cast.event.pk: cases[0].created_at}
    assert rows.keys(Case, "id", []) == ("", [])
