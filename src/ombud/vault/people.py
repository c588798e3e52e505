"""Personal key pairs: created at the first sign-in, unlocked by the password,
re-wrapped when the password changes, replaced (losing access) when it is reset.

Each time the password opens a private key, the public halves stored beside it
are checked against it and certified (``vault.trust``): the server has just
seen them come from the private key, so the certificate is true. Whatever the
database said before - a key written in by someone else, a certificate made
under an earlier key file - is put right here.
"""

from django.db import transaction

from ombud.vault import personal, trust
from ombud.vault.models import KeyEndorsement, KeyWrap, PersonalKey, RecipientKind


def _context(user_id) -> bytes:
    return f"ombud-personal/1|{user_id}".encode()


def _halves(user, private: bytes) -> dict:
    public, signing = personal.public_of(private), personal.signing_public_of(private)
    binding = trust.Binding(trust.PERSON, str(user.pk), public, signing)
    return {"public_key": public, "signing_public": signing, "certificate": trust.certify(binding)}


def _store(user, private: bytes, password: str) -> PersonalKey:
    wrapped = personal.wrap_private(private, password, context=_context(user.pk))
    key, _created = PersonalKey.objects.update_or_create(
        user=user,
        defaults={
            **_halves(user, private),
            "wrapped_private": wrapped.wrapped,
            "salt": wrapped.salt,
            "kdf": wrapped.kdf,
        },
    )
    return key


@transaction.atomic
def unlock(user, password: str) -> bytes:
    """The person's private key, opened with the password they just signed in with.

    The first sign-in creates the key pair. If the stored key does not open with
    this password (it was reset without the old one), a new pair replaces it.
    """
    key = PersonalKey.objects.filter(user=user).first()
    if key is not None:
        wrapped = personal.WrappedPrivateKey(bytes(key.wrapped_private), bytes(key.salt), key.kdf)
        try:
            private = personal.unwrap_private(wrapped, password, context=_context(user.pk))
        except personal.WrongPassword:
            pass
        else:
            _recertify(key, private)
            return private
    return replace(user, password)


def _recertify(key: PersonalKey, private: bytes) -> None:
    halves = _halves(key.user, private)
    stored = {
        "public_key": bytes(key.public_key),
        "signing_public": bytes(key.signing_public),
        "certificate": key.certificate,
    }
    if stored != halves:
        # Saving bumps the roster of their events (staff.signals.key_changed), so
        # intake's cached copy learns the key as it really is.
        for name, value in halves.items():
            setattr(key, name, value)
        key.save(update_fields=list(halves))


@transaction.atomic
def replace(user, password: str) -> bytes:
    """A new key pair: every case sealed to the old one is closed to this person
    until a lead (or the recovery key) opens it for them again, and their key must be
    endorsed again before anyone grants them a case (``vault.trust``)."""
    KeyWrap.objects.filter(recipient_kind=RecipientKind.PERSON, recipient_ref=str(user.pk)).delete()
    # Signatures by or on the old key vouch for nothing now.
    KeyEndorsement.objects.filter(signer=user).delete()
    KeyEndorsement.objects.filter(subject_kind=trust.PERSON, subject_ref=str(user.pk)).delete()
    _public, private = personal.new_key_pair()
    _store(user, private, password)
    return private


@transaction.atomic
def rewrap(user, old_password: str, new_password: str) -> bool:
    """A password change that keeps access: the same private key, a new wrapping."""
    key = PersonalKey.objects.filter(user=user).first()
    if key is None:
        return False
    wrapped = personal.WrappedPrivateKey(bytes(key.wrapped_private), bytes(key.salt), key.kdf)
    private = personal.unwrap_private(wrapped, old_password, context=_context(user.pk))
    _store(user, private, new_password)
    return True
