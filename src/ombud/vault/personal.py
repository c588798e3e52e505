"""Per-person keys: an X25519 key pair for each responder and lead, and an
organisation recovery key pair.

A case key is sealed to each recipient's public key (an "anonymous box": an
ephemeral X25519 key, HKDF, AES-256-GCM), so the server needs only public
keys to accept a report and cannot open a case by itself. A person's private
key is wrapped under a key derived from their password with Argon2id; it is
unwrapped at sign-in and kept, for the session only, encrypted under a secret
that lives in their browser cookie (``vault.session``).
"""

import base64
import os
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from ombud.vault import crypto
from ombud.vault.errors import Tampered, VaultError

_BOX_INFO = b"ombud box/1"
_SIGNING_INFO = b"ombud signing key/1"
_PUBLIC_BYTES = 32
# Argon2id, RFC 9106's second recommended option (64 MiB, 3 passes): ~0.15 s here.
# Stored with each wrapped key, so a stronger setting later still opens older ones.
KDF = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}


def kdf_params() -> dict:
    from django.conf import settings  # noqa: PLC0415 -- usable without Django too

    return dict(getattr(settings, "VAULT_KDF", None) or KDF)


class WrongPassword(VaultError):
    """The password does not open this private key."""


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _private_raw(private: X25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def new_key_pair() -> tuple[bytes, bytes]:
    """(public, private), 32 bytes each."""
    private = X25519PrivateKey.generate()
    return _raw(private.public_key()), _private_raw(private)


def public_of(private: bytes) -> bytes:
    return _raw(X25519PrivateKey.from_private_bytes(private).public_key())


# Each person also signs (key endorsements, vault.trust) with an Ed25519 key derived from
# the same private key: nothing more to store or to wrap, and only its holder can sign.
def _signing_key(private: bytes) -> Ed25519PrivateKey:
    seed = crypto.derive_key(private, salt=b"", info=_SIGNING_INFO)
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_public_of(private: bytes) -> bytes:
    return (
        _signing_key(private)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def sign(private: bytes, message: bytes) -> bytes:
    return _signing_key(private).sign(message)


def signature_valid(signing_public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes(signing_public)).verify(bytes(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


class Sealing:
    """Boxes sealed together - one case key to each of its readers - from one ephemeral
    key pair, made at the first box and forgotten with the sealing.

    Each box still has a key of its own: the exchange with its recipient's public key,
    bound to both public keys. Re-using the ephemeral half across the recipients of one
    message keeps Diffie-Hellman encryption as secure as a fresh one per recipient
    (Bellare, Boldyreva and Staddon, "Randomness re-use in multi-recipient encryption
    schemes", PKC 2003) and saves a key generation for every reader after the first.
    The boxes are seal_to's: open_box opens them.
    """

    __slots__ = ("_ephemeral",)

    def __init__(self):
        self._ephemeral = None

    def seal_to(self, public: bytes, secret: bytes, context: bytes) -> bytes:
        if self._ephemeral is None:
            private = X25519PrivateKey.generate()
            self._ephemeral = (private, _raw(private.public_key()))
        ephemeral, ephemeral_public = self._ephemeral
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
        key = crypto.derive_key(shared, salt=ephemeral_public + public, info=_BOX_INFO)
        return ephemeral_public + crypto.seal(key, secret, context)


def seal_to(public: bytes, secret: bytes, context: bytes) -> bytes:
    """Seal ``secret`` so that only the holder of ``public``'s private half opens it."""
    return Sealing().seal_to(public, secret, context)


def open_box(private: bytes, box: bytes, context: bytes) -> bytes:
    box = bytes(box)
    if len(box) <= _PUBLIC_BYTES:
        raise Tampered("sealed box is malformed")
    ephemeral_public, sealed = box[:_PUBLIC_BYTES], box[_PUBLIC_BYTES:]
    own = X25519PrivateKey.from_private_bytes(private)
    try:
        shared = own.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError:
        raise Tampered("sealed box is malformed") from None
    key = crypto.derive_key(shared, salt=ephemeral_public + _raw(own.public_key()), info=_BOX_INFO)
    return crypto.open_sealed(key, sealed, context)


@dataclass(frozen=True)
class WrappedPrivateKey:
    wrapped: bytes
    salt: bytes
    kdf: dict


# Parameters read back from the database are bounded: a row written by someone else must
# not be able to make a sign-in allocate gigabytes.
_KDF_LIMITS = {"time_cost": 20, "memory_cost": 1024 * 1024, "parallelism": 16}


def _usable(kdf) -> bool:
    try:
        return all(1 <= int(kdf[name]) <= most for name, most in _KDF_LIMITS.items())
    except (KeyError, TypeError, ValueError):
        return False


def _password_key(password: str, salt: bytes, kdf: dict) -> bytes:
    if not _usable(kdf):
        raise WrongPassword("the key's parameters are not ones Ombud uses")
    return hash_secret_raw(
        password.encode(),
        salt,
        time_cost=kdf["time_cost"],
        memory_cost=kdf["memory_cost"],
        parallelism=kdf["parallelism"],
        hash_len=crypto.KEY_BYTES,
        type=Type.ID,
    )


def wrap_private(private: bytes, password: str, *, context: bytes) -> WrappedPrivateKey:
    salt = os.urandom(16)
    params = kdf_params()
    key = _password_key(password, salt, params)
    return WrappedPrivateKey(crypto.seal(key, private, context), salt, params)


def unwrap_private(wrapped: WrappedPrivateKey, password: str, *, context: bytes) -> bytes:
    key = _password_key(password, wrapped.salt, wrapped.kdf)
    try:
        return crypto.open_sealed(key, wrapped.wrapped, context)
    except Tampered:
        raise WrongPassword("the password does not open this key") from None


# The recovery key is printed, so it is written for people: base32 in groups.
def recovery_text(private: bytes) -> str:
    text = base64.b32encode(private).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def recovery_from_text(text: str) -> bytes:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    try:
        private = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError:
        raise VaultError("That is not a recovery key.") from None
    if len(private) != 32:
        raise VaultError("That is not a recovery key.")
    return private
