"""The one door to a case: who may read it now, and how its key comes to be open.

- A person *sees* a case (it is in their lists; they may declare or recuse) when
  ``queries.cases_visible_to`` admits them: an acknowledged responder or lead of
  its event, not recused, and in the per-person mode holding a wrap of its key.
- They may *read* it, and so open its key, only once they have declared that
  they have no conflict of interest in it (``Declaration``).

Pages, both API routers, exports, the printable summary, the hand-over and the
templates ask here. ``case_key`` asks here too, so a path that forgot to ask
still cannot open a case.

How the key opens: in server mode (``Event.vault_mode == "server"``) the server
key from the key file opens every case of the event; in the per-person mode only
the person's own private key, unlocked at sign-in and carried on the request's
user as ``vault_private`` (``accounts.middleware`` for pages, the API's bearer
authentication for tokens). Nobody else, the server included, can.
"""

from django.db.models import Exists, OuterRef

from ombud.cases.models import Case, Declaration
from ombud.cases.queries import cases_visible_to
from ombud.events.models import VaultMode
from ombud.staff.models import Membership
from ombud.vault import services as vault


class CaseNotFound(Exception):
    """Not a case this person may see: answered exactly like a case that does not exist."""


class DeclarationRequired(Exception):
    """The person may open the case once they declare no conflict of interest in it."""

    def __init__(self, case):
        super().__init__("declaration required")
        self.case = case


# Each request's user remembers the cases it was let into, so the services a
# request calls ask the database once per case, not once per sealed field.
_READABLE = "_ombud_readable_cases"


def _remember(user, case_id) -> None:
    user.__dict__.setdefault(_READABLE, set()).add(case_id)


def _declared(user):
    return Exists(Declaration.objects.filter(case=OuterRef("pk"), user=user))


def readable_cases(user):
    """Every case the person may read now: for lists that show what is in cases."""
    return cases_visible_to(user).filter(_declared(user))


def visible_case(user, case_id, *, related=("event",)) -> Case:
    """A case the person may see (to declare, recuse, or find in a list)."""
    case = cases_visible_to(user).select_related(*related).filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound
    return case


def readable_case(user, case_id, *, related=("event",)) -> Case:
    """A case the person may read now; ``DeclarationRequired`` if they have yet to
    declare no conflict of interest, ``CaseNotFound`` if they may not see it."""
    case = (
        cases_visible_to(user)
        .select_related(*related)
        .annotate(declared=_declared(user))
        .filter(pk=case_id)
        .first()
    )
    if case is None or not _on_the_roster_as_written(user, case):
        raise CaseNotFound
    if not case.declared:
        raise DeclarationRequired(case)
    _remember(user, case.pk)
    return case


def _on_the_roster_as_written(user, case) -> bool:
    """Their membership of the case's event is the row Ombud wrote (its certificate
    holds): a row written into the database by anyone else opens nothing."""
    membership = Membership.objects.filter(user=user, event_id=case.event_id).first()
    return membership is not None and membership.is_certified


def may_read(user, case) -> bool:
    try:
        ensure_readable(user, case)
    except (CaseNotFound, DeclarationRequired):
        return False
    return True


def ensure_readable(user, case) -> None:
    if case.pk in user.__dict__.get(_READABLE, ()):
        return
    readable_case(user, case.pk, related=())


def case_key(case, by) -> vault.CaseKey:
    """The case key, opened for ``by`` to read or add content: only through the door."""
    ensure_readable(by, case)
    return _open(case, by)


def upkeep_key(case, by) -> vault.CaseKey:
    """The case key for work that shows ``by`` nothing of it: recusing themselves,
    sealing the case to colleagues (``grants``). Seeing the case is enough."""
    if not cases_visible_to(by).filter(pk=case.pk).exists():
        raise CaseNotFound
    return _open(case, by)


def _open(case, by) -> vault.CaseKey:
    if case.event.vault_mode == VaultMode.SERVER:
        return vault.open_as_server(case.pk)
    private = getattr(by, "vault_private", b"") or b""
    return vault.open_keyring(case.pk, vault.PersonRecipient(by.pk, private_key=private))
