"""The organisation's ban list: keyed hashes of normalised identifiers, nothing else.

A database dump shows that bans exist and when they expire, never whom they
concern: names, badge numbers and addresses are stored only as HMAC-SHA256
under a key derived from the server's key file (``vault.keys``), and only the
registration desk's yes/no question can be asked of them.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.attendees import queries as attendees
from ombud.audit import services as audit
from ombud.decisions.models import BanEntry, BanIdentifier
from ombud.vault import identity

# The desk check is throttled per desk account: a desk checks a queue of
# attendees, not the whole list of every name one could guess.
DESK_SCOPE = "desk-check"
# The only two answers the desk ever gets.
NO_MATCH = "no_match"
ASK_A_LEAD = "ask_a_lead"
_PURPOSE = "ban list"


class NoIdentity(ValueError):
    """A ban needs a name, a badge number or an e-mail address to be checked against."""

    def __init__(self):
        super().__init__(
            _(
                "A ban needs the respondent's name, badge number or e-mail address, "
                "or the registration desk could never recognise them."
            )
        )


def digest(organisation_id: int, kind: str, value: str) -> str:
    """The keyed hash of an already normalised identifier, per organisation."""
    return identity.digest(_PURPOSE, organisation_id, kind, value)


def identifiers(organisation_id: int, *, name="", badge="", email="") -> list[tuple[str, str]]:
    return identity.tags(_PURPOSE, organisation_id, name=name, badge=badge, email=email)


def has_identity(*, name="", badge="", email="") -> bool:
    return any(
        identity.NORMALISERS[kind](raw)
        for kind, raw in (
            (BanIdentifier.Kind.NAME, name),
            (BanIdentifier.Kind.BADGE, badge),
            (BanIdentifier.Kind.EMAIL, email),
        )
    )


def enter(decision, identity: dict, *, organisation_id: int, expires_on, at=None) -> BanEntry:
    """A ban-list entry for a final ban (call inside the decision's transaction)."""
    found = identifiers(
        organisation_id,
        name=identity.get("name", ""),
        badge=identity.get("badge", ""),
        email=identity.get("email", ""),
    )
    if not found:
        raise NoIdentity
    entry = BanEntry.objects.create(
        organisation_id=organisation_id,
        decision=decision,
        expires_on=expires_on,
        created_at=at or timezone.now(),
    )
    BanIdentifier.objects.bulk_create(
        BanIdentifier(entry=entry, kind=kind, digest=value) for kind, value in found
    )
    return entry


def active_entries(organisation_id: int, today):
    return BanEntry.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        organisation_id=organisation_id,
        lifted_at__isnull=True,
    )


def is_banned(event, text: str, *, today=None) -> bool:
    """Whether what the desk typed (a name, a badge number or an address) is on the list."""
    organisation_id = event.organisation_id
    today = today or timezone.localdate(timezone=event.zone)
    candidates = []
    for kind in (BanIdentifier.Kind.NAME, BanIdentifier.Kind.BADGE):
        value = identity.NORMALISERS[kind](text)
        if value:
            candidates.append((kind, digest(organisation_id, kind, value)))
    if "@" in text:
        value = identity.normalise_email(text)
        candidates.append((BanIdentifier.Kind.EMAIL, digest(organisation_id, "email", value)))
    # A badge, name or address on the event's attendee or speaker list brings that
    # person's other identifiers: a ban recorded by name is found from their badge.
    candidates += attendees.tags_of_people_with(event, candidates)
    if not candidates:
        return False
    wanted = Q()
    for kind, value in candidates:
        wanted |= Q(kind=kind, digest=value)
    return BanIdentifier.objects.filter(
        wanted, entry__in=active_entries(organisation_id, today)
    ).exists()


@transaction.atomic
def desk_check(event, text: str, *, by) -> bool:
    """The registration desk's question: is this person on the ban list? Every check is
    audited (who asked, at which event - never whom they asked about)."""
    matched = is_banned(event, text)
    audit.record(by, "banlist.checked", event, event_id=event.pk)
    return matched
