"""The roster as intake needs it: who is on an event's staff, how they are named,
whether they acknowledged, when they are on duty.

Kept per process and keyed by ``Event.roster_version``, so the submission path
reads it without a query while it is unchanged; intake re-checks the version
inside its write transaction, so a stale copy can never decide who is alerted
or recused.
"""

import hashlib
import threading
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist

from ombud.staff.models import CASE_ROLES, DutyShift, Membership, Role
from ombud.vault import trust

_CACHE_LIMIT = 256


@dataclass(frozen=True)
class RosterMember:
    membership_id: int
    user_id: int
    username: str
    first_name: str
    last_name: str
    email: str
    badge_number: str
    role: str
    active: bool
    coc_acknowledged_version: int
    guide_acknowledged_version: int
    shifts: tuple = field(default=())
    # Their personal key's public halves, only if certified (vault.trust): b"" until
    # their first sign-in, and for a key the certificate does not vouch for.
    public_key: bytes = b""
    signing_public: bytes = b""
    # The fingerprint of a stored key that fails its certificate (never sealed to, and
    # an alarm: vault.trust); "" when there is none.
    key_rejected: str = ""
    # The membership row's own certificate holds (Ombud wrote it): only then are cases
    # sealed to them; else a digest of the row as found, for the alarm.
    membership_rejected: str = ""

    @classmethod
    def of(cls, membership, shifts=()) -> "RosterMember":
        user = membership.user
        public_key, signing_public, rejected = b"", b"", ""
        try:
            key = user.personal_key
        except ObjectDoesNotExist:
            key = None
        if key is not None:
            binding = trust.person_binding(key)
            if trust.certified(binding, key.certificate):
                public_key, signing_public = binding.public, binding.signing_public
            else:
                rejected = binding.fingerprint
        row_rejected = ""
        if not membership.is_certified:
            row = "|".join(str(f) for f in membership.certified_fields())
            row_rejected = hashlib.sha256(f"membership|{row}".encode()).hexdigest()
        return cls(
            membership_id=membership.pk,
            user_id=user.pk,
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            badge_number=membership.badge_number,
            role=membership.role,
            active=membership.active and user.is_active,
            coc_acknowledged_version=membership.coc_acknowledged_version,
            guide_acknowledged_version=membership.guide_acknowledged_version,
            shifts=tuple(shifts),
            public_key=public_key,
            signing_public=signing_public,
            key_rejected=rejected,
            membership_rejected=row_rejected,
        )

    def acknowledged(self, event) -> bool:
        # As Membership.is_acknowledged: any version puts them on duty.
        return (
            self.active
            and self.coc_acknowledged_version > 0
            and self.guide_acknowledged_version > 0
        )

    def holds_case_keys(self, event) -> bool:
        """A case worker cases can be sealed to: acknowledged, with a certified key pair,
        on the roster as Ombud itself wrote it."""
        return (
            self.role in CASE_ROLES
            and self.acknowledged(event)
            and bool(self.public_key)
            and not self.membership_rejected
        )

    def on_duty(self, event, at) -> bool:
        return self.acknowledged(event) and any(start <= at < end for start, end in self.shifts)

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD

    @property
    def key(self) -> "trust.Binding":
        return trust.Binding(trust.PERSON, str(self.user_id), self.public_key, self.signing_public)


@dataclass(frozen=True)
class Roster:
    event_id: int
    version: int
    members: tuple


_cache: dict = {}
_lock = threading.Lock()


def load(event) -> Roster:
    """Read the roster from the database (two queries)."""
    memberships = list(
        Membership.objects.filter(event=event).select_related("user", "user__personal_key")
    )
    shifts: dict = {}
    for membership_id, starts, ends in DutyShift.objects.filter(
        membership__event=event
    ).values_list("membership_id", "starts_at", "ends_at"):
        shifts.setdefault(membership_id, []).append((starts, ends))
    members = tuple(RosterMember.of(m, shifts.get(m.pk, ())) for m in memberships)
    return Roster(event.pk, event.roster_version, members)


def for_event(event) -> Roster:
    """The roster at ``event.roster_version``, from this process's cache when it has it."""
    cached = _cache.get(event.pk)
    if cached is not None and cached.version == event.roster_version:
        return cached
    roster = load(event)
    with _lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[event.pk] = roster
    return roster
