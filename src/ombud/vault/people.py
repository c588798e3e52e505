"""Personal key pairs: created at the first sign-in, unlocked by the password,
re-wrapped when the password changes, replaced (losing access) when it is reset."""

from django.db import transaction

from ombud.vault import personal
from ombud.vault.models import KeyWrap, PersonalKey, RecipientKind


def _context(user_id) -> bytes:
    return f"ombud-personal/1|{user_id}".encode()


def _store(user, public: bytes, private: bytes, password: str) -> PersonalKey:
    wrapped = personal.wrap_private(private, password, context=_context(user.pk))
    key, _created = PersonalKey.objects.update_or_create(
        user=user,
        defaults={
            "public_key": public,
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
            return personal.unwrap_private(wrapped, password, context=_context(user.pk))
        except personal.WrongPassword:
            pass
    return replace(user, password)


@transaction.atomic
def replace(user, password: str) -> bytes:
    """A new key pair: every case sealed to the old one is closed to this person
    until a lead (or the recovery key) opens it for them again."""
    KeyWrap.objects.filter(recipient_kind=RecipientKind.PERSON, recipient_ref=str(user.pk)).delete()
    public, private = personal.new_key_pair()
    _store(user, public, private, password)
    return private


@transaction.atomic
def rewrap(user, old_password: str, new_password: str) -> bool:
    """A password change that keeps access: the same private key, a new wrapping."""
    key = PersonalKey.objects.filter(user=user).first()
    if key is None:
        return False
    wrapped = personal.WrappedPrivateKey(bytes(key.wrapped_private), bytes(key.salt), key.kdf)
    private = personal.unwrap_private(wrapped, old_password, context=_context(user.pk))
    _store(user, bytes(key.public_key), private, new_password)
    return True
