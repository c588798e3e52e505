"""Writing to the audit log. Every read and change of case content calls ``record``."""

import logging

from django.db import connection
from django.utils import timezone

from ombud.audit import actions, chain
from ombud.audit.models import ActorKind, Entry
from ombud.db import rows

log = logging.getLogger(__name__)

# Any fixed number: the advisory lock that serialises appends on PostgreSQL.
_CHAIN_LOCK = 0x0B0D_A0D1


class Actor:
    """Who acts: a signed-in user, the reporter holding a receipt, or Ombud itself."""

    __slots__ = ("id", "kind")

    def __init__(self, kind: str, actor_id: str = ""):
        self.kind = kind
        self.id = actor_id

    @classmethod
    def user(cls, user) -> "Actor":
        return cls(ActorKind.USER, str(user.pk))

    @classmethod
    def reporter(cls) -> "Actor":
        return cls(ActorKind.REPORTER)

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorKind.SYSTEM)


def as_actor(who) -> Actor:
    return who if isinstance(who, Actor) else Actor.user(who)


def record(who, action: str, obj, *, event_id=None) -> Entry:
    """Append one entry; must run inside the transaction of the action it records.

    ``action`` must be registered in ``audit.actions``: an unknown code is refused.
    ``obj`` is the row acted on, or None for the installation as a whole."""
    return prepare(who, action, obj, event_id=event_id).append()


def prepare(who, action: str, obj, *, event_id=None) -> "Pending":
    """``record`` in two steps, for a path that keeps its write lock short: the entry is
    built now, outside the transaction, and ``append``-ed inside it."""
    actions.check(action)
    return Pending(as_actor(who), action, obj, event_id)


class Pending:
    """An entry built before the write lock: its time and place in the chain are set when
    it is appended, so that the log's times follow its order."""

    __slots__ = ("_insert", "entry")

    def __init__(self, actor: Actor, action: str, obj, event_id):
        if obj is not None and obj.pk is None:
            raise ValueError("an audit entry names a stored row (or None for the installation)")
        self.entry = Entry(
            at=timezone.now(),
            actor_kind=actor.kind,
            actor_id=actor.id,
            action=action,
            object_type=obj._meta.model_name if obj is not None else "installation",
            object_id=str(obj.pk) if obj is not None else "",
            event_id=event_id,
            prev_hash=chain.GENESIS,
            entry_hash=chain.GENESIS,
        )
        self._insert = rows.Insert([self.entry])

    def append(self) -> Entry:
        if not connection.in_atomic_block:
            raise RuntimeError("audit.record must run inside the action's transaction")
        if self.entry.seq is not None:
            raise RuntimeError("this audit entry is already in the log")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        # On SQLite the IMMEDIATE transaction already holds the only write lock.
        entry = self.entry
        entry.at = timezone.now()
        entry.prev_hash = _last_hash() or chain.GENESIS
        entry.entry_hash = chain.entry_hash(
            entry.prev_hash, chain.hashed_fields(entry), chain.chain_key()
        )
        self._insert.prepare("at", "prev_hash", "entry_hash")
        _append(entry, self._insert)
        return entry


def _append(entry, insert: rows.Insert) -> None:
    # The one place an entry is written (tests make it fail here).
    insert.run()


def _last_hash() -> str | None:
    # Every change asks, inside its write lock: the ORM would compile this each time.
    quote = connection.ops.quote_name
    table, seq = quote(Entry._meta.db_table), quote("seq")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('entry_hash')} FROM {table} ORDER BY {seq} DESC LIMIT 1"  # noqa: S608
        )
        row = cursor.fetchone()
    return row[0] if row else None


def verify_log(anchor: chain.Head | None = None) -> chain.Verdict:
    # Entries appended during the walk only extend the chain; no lock needed.
    entries = Entry.objects.order_by("seq").iterator(chunk_size=2000)
    return chain.verify(entries, chain.chain_key(), anchor=anchor)


def current_head() -> chain.Head | None:
    last = Entry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    return chain.Head(*last) if last else None


def log_head(now) -> None:
    """Housekeeping: the chain head goes to the log, a copy outside the database."""
    head = current_head()
    if head is not None:
        log.info("audit head seq=%d hash=%s", head.seq, head.hash)
