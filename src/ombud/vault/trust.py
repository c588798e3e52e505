"""Which public keys a case key may be sealed to: every one is authenticated.

Sealing needs only a public key, so whoever could write one into the database
could have every later report sealed to themselves. Two checks stop that.

1. **Certificates**, against anyone who can write the database but has no key
   file. Each public key Ombud seals to carries an HMAC, under a key derived
   from the server key file, over whose key it is and the key itself. It is
   issued only where the server has just seen the key come from its private
   half: at sign-in (``people.unlock`` derives the public halves from the private
   key the password opened), and when the recovery key is made, or confirmed
   again with its printed text. Intake, grants, escrow release and recovery seal
   only to certified keys.

2. **Endorsements**, in the per-person mode, against someone who holds the key
   file as well. A case worker's key is signed by people of the organisation
   with signing keys derived from their own private keys (``personal.sign``):
   the organiser admin or incident lead who added them or confirmed their key,
   and, when they next work, they sign back the keys of those who vouched for
   them. A holder grants a case only to keys that their own key reaches through
   such signatures (``TrustedKeys``), checked in their own session: neither the
   database nor the key file can forge a step.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

from ombud.vault import keys, personal
from ombud.vault.models import KeyEndorsement, PersonalKey

PERSON = KeyEndorsement.Kind.PERSON
RECOVERY = KeyEndorsement.Kind.RECOVERY
_MAX_STEPS = 12


@dataclass(frozen=True)
class Binding:
    """A public key and whose it is: what certificates and endorsements vouch for."""

    kind: str
    ref: str
    public: bytes
    signing_public: bytes = b""

    def message(self) -> bytes:
        parts = [
            b"ombud-key/1",
            str(self.kind).encode(),
            str(self.ref).encode(),
            base64.b64encode(bytes(self.public)),
            base64.b64encode(bytes(self.signing_public)),
        ]
        return b"|".join(parts)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.message()).hexdigest()

    def shown(self) -> str:
        """The fingerprint as people compare it: 24 characters in groups of four."""
        text = base64.b32encode(hashlib.sha256(self.message()).digest()[:15]).decode()
        return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def person_binding(key: PersonalKey) -> Binding:
    return Binding(PERSON, str(key.user_id), bytes(key.public_key), bytes(key.signing_public))


def own_binding(user_id, private: bytes) -> Binding:
    """The binding of a private key's holder: authentic, since they hold its private half."""
    return Binding(
        PERSON, str(user_id), personal.public_of(private), personal.signing_public_of(private)
    )


def recovery_binding(organisation) -> Binding:
    return Binding(RECOVERY, str(organisation.pk), bytes(organisation.recovery_public_key or b""))


def _certificate_key() -> bytes:
    return keys.load().derived("key certificates")


def certify(binding: Binding) -> str:
    return hmac.new(_certificate_key(), binding.message(), hashlib.sha256).hexdigest()


def certified(binding: Binding, certificate: str) -> bool:
    # Bytes: a non-ASCII value written into the database must fail, not raise.
    given = (certificate or "").encode("utf-8", "replace")
    return bool(binding.public) and hmac.compare_digest(certify(binding).encode(), given)


def record_certificate(kind: str, *fields) -> str:
    """A certificate of a database row Ombud wrote itself - who is on a response team,
    in which role; whose password hash this is - so a row written by anyone else is
    told apart (key-file key, like key certificates)."""
    message = "\x1f".join(["ombud-record/1", kind, *(str(f) for f in fields)]).encode()
    return hmac.new(_certificate_key(), message, hashlib.sha256).hexdigest()


def record_certified(certificate: str, kind: str, *fields) -> bool:
    expected = record_certificate(kind, *fields).encode()
    return hmac.compare_digest(expected, (certificate or "").encode("utf-8", "replace"))


def sign(signer_private: bytes, binding: Binding) -> bytes:
    return personal.sign(signer_private, binding.message())


@dataclass
class TrustedKeys:
    """The keys a holder's own key reaches through valid endorsements: whom they may
    seal cases to. ``tampered`` lists endorsements that name a key as it is now but
    whose signature is false (someone wrote them into the database)."""

    holder_id: int
    people: dict = field(default_factory=dict)  # user id -> their current Binding
    tampered: list = field(default_factory=list)

    def trusts_binding(self, binding: Binding) -> bool:
        if binding.kind != PERSON or not str(binding.ref).isdigit():
            return False
        found = self.people.get(int(binding.ref))
        return found is not None and found.fingerprint == binding.fingerprint

    def trusts_recovery(self, binding: Binding) -> bool:
        """An organisation's recovery key, vouched for by a key this holder reaches."""
        signers = {b.fingerprint: b for b in self.people.values()}
        for endorsement in KeyEndorsement.objects.filter(
            subject_kind=RECOVERY,
            subject_ref=binding.ref,
            subject_key=binding.fingerprint,
            signer_key__in=list(signers),
        ):
            if _valid(endorsement, signers[endorsement.signer_key], binding, self):
                return True
        return False


def trusted_by(holder_id: int, holder_private: bytes) -> TrustedKeys:
    """Follow endorsements from the holder's own key, step by step (a few queries per
    step; a team is a small graph)."""
    own = own_binding(holder_id, holder_private)
    trusted = TrustedKeys(holder_id, {int(holder_id): own})
    frontier = {own.fingerprint: own}
    for _step in range(_MAX_STEPS):
        if not frontier:
            break
        signed = list(
            KeyEndorsement.objects.filter(signer_key__in=list(frontier), subject_kind=PERSON)
        )
        signed = [e for e in signed if e.subject_ref.isdigit()]  # a user id, or not ours
        subjects = {int(e.subject_ref) for e in signed}
        current = {
            k.user_id: k
            for k in PersonalKey.objects.filter(user_id__in=subjects - set(trusted.people))
        }
        frontier = {}
        for endorsement in signed:
            signer = _signer(trusted, endorsement)
            if signer is None:
                continue
            key = current.get(int(endorsement.subject_ref))
            if key is None or not certified(person_binding(key), key.certificate):
                continue
            subject = person_binding(key)
            if _valid(endorsement, signer, subject, trusted):
                trusted.people[key.user_id] = subject
                frontier[subject.fingerprint] = subject
    return trusted


def _signer(trusted: TrustedKeys, endorsement) -> Binding | None:
    for binding in trusted.people.values():
        if binding.fingerprint == endorsement.signer_key:
            return binding
    return None


def _valid(endorsement, signer: Binding, subject: Binding, trusted: TrustedKeys) -> bool:
    if endorsement.subject_key != subject.fingerprint:
        return False  # signed an earlier key of theirs: stale, not forged
    if personal.signature_valid(
        signer.signing_public, bytes(endorsement.signature), subject.message()
    ):
        return True
    trusted.tampered.append(subject)
    return False
