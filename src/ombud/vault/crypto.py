"""Primitives: AES-256-GCM with bound context, length padding, HKDF.

Every ciphertext carries a version byte and a random 96-bit nonce and is
bound by associated data to what it is (purpose, case, object), so a
ciphertext moved to another row or field fails to open.
"""

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ombud.vault.errors import Tampered, VaultError

KEY_BYTES = 32
_NONCE_BYTES = 12
_VERSION = b"\x01"
_PAD_FLOOR = 256


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def open_sealed(key: bytes, blob: bytes, context: bytes) -> bytes:
    blob = bytes(blob)
    if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _VERSION:
        raise Tampered("ciphertext is malformed or of an unknown version")
    nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, context)
    except InvalidTag:
        raise Tampered("ciphertext failed authentication") from None


def pad(data: bytes, *, step: int = 0) -> bytes:
    """Length-prefix and pad to a power of two (or, for files, to a multiple of
    ``step``), so sizes reveal little about content."""
    if step:
        size = -(-(len(data) + 4) // step) * step
    else:
        size = _PAD_FLOOR
        while size < len(data) + 4:
            size *= 2
    return struct.pack(">I", len(data)) + data + b"\0" * (size - len(data) - 4)


def unpad(data: bytes) -> bytes:
    if len(data) < 4:
        raise VaultError("padded plaintext is too short")
    (length,) = struct.unpack(">I", data[:4])
    if length > len(data) - 4:
        raise VaultError("padded plaintext has an impossible length")
    return data[4 : 4 + length]


def derive_key(secret: bytes, *, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(secret)
