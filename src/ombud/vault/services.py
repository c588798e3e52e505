"""Case keys and their recipients.

A case key is created once per case and never stored in the clear: it is
wrapped once per recipient. Content is sealed under it with its purpose and
object bound in, so nothing can be moved between rows undetected.
"""

import json
import uuid
from dataclasses import dataclass

from ombud.vault import crypto, keys, personal
from ombud.vault.errors import KeyUnavailable, Tampered
from ombud.vault.models import KeyWrap, RecipientKind

_RECEIPT_INFO = b"ombud receipt wrap/1"
_FILE_PAD_STEP = 64 * 1024


class CaseKey:
    """An unwrapped case key, held only in memory for the length of a request."""

    __slots__ = ("_raw", "keyring")

    def __init__(self, keyring: uuid.UUID, raw: bytes):
        self.keyring = keyring
        self._raw = raw

    def __repr__(self):
        return f"<CaseKey {self.keyring}>"

    def _context(self, purpose: str, object_id) -> bytes:
        return f"ombud/1|{purpose}|{self.keyring}|{object_id}".encode()

    def seal(self, purpose: str, object_id, content: dict) -> bytes:
        data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
        return crypto.seal(self._raw, crypto.pad(data), self._context(purpose, object_id))

    def open(self, purpose: str, object_id, blob: bytes) -> dict:
        data = crypto.unpad(crypto.open_sealed(self._raw, blob, self._context(purpose, object_id)))
        try:
            return json.loads(data)
        except ValueError:
            raise Tampered("sealed content is not valid") from None

    def seal_file(self, object_id, data: bytes) -> bytes:
        """An attachment's bytes, padded to 64 KiB steps (not doubled: files are large)."""
        return crypto.seal(
            self._raw, crypto.pad(data, step=_FILE_PAD_STEP), self._context("file", object_id)
        )

    def open_file(self, object_id, blob: bytes) -> bytes:
        return crypto.unpad(crypto.open_sealed(self._raw, blob, self._context("file", object_id)))


class _Symmetric:
    """A recipient holding a secret key: the server key, or one derived from a receipt."""

    def wrap(self, keyring, raw: bytes, context: bytes, sealing) -> bytes:
        return crypto.seal(self.wrapping_key(keyring), raw, context)

    def unwrap(self, keyring, blob: bytes, context: bytes) -> bytes:
        return crypto.open_sealed(self.wrapping_key(keyring), blob, context)


@dataclass(frozen=True)
class ServerRecipient(_Symmetric):
    """The server key from the key file: lets the server open the case on its own.

    The lower-security mode (``Event.vault_mode == "server"``), for small events.
    """

    key_id: str
    key: bytes = b""

    kind = RecipientKind.SERVER

    @property
    def ref(self) -> str:
        return self.key_id

    @classmethod
    def active(cls) -> "ServerRecipient":
        server_keys = keys.load()
        return cls(server_keys.active_id, server_keys.active_key)

    def wrapping_key(self, keyring) -> bytes:
        if not self.key:
            key = keys.load().wrap_keys.get(self.key_id)
            if key is None:
                raise KeyUnavailable(f"Server key {self.key_id} is not in the key file.")
            return key
        return self.key


@dataclass(frozen=True)
class ReceiptRecipient(_Symmetric):
    """The reporter: a key derived from their receipt opens the case for their own view."""

    receipt: str
    report_id: uuid.UUID

    kind = RecipientKind.RECEIPT

    @property
    def ref(self) -> str:
        return str(self.report_id)

    def wrapping_key(self, keyring) -> bytes:
        # A 140-bit receipt needs no stretching; HKDF separates it per case.
        return crypto.derive_key(self.receipt.encode(), salt=keyring.bytes, info=_RECEIPT_INFO)


@dataclass(frozen=True)
class PersonRecipient:
    """A responder or lead: sealed to their public key; only their private key opens it.

    To wrap, ``public_key`` is enough; to open, ``private_key`` is needed.
    """

    user_id: int
    public_key: bytes = b""
    private_key: bytes = b""

    kind = RecipientKind.PERSON

    @property
    def ref(self) -> str:
        return str(self.user_id)

    def wrap(self, keyring, raw: bytes, context: bytes, sealing: personal.Sealing) -> bytes:
        return sealing.seal_to(self.public_key, raw, context)

    def unwrap(self, keyring, blob: bytes, context: bytes) -> bytes:
        if not self.private_key:
            raise KeyUnavailable("Sign in again to open cases: your key is not unlocked.")
        return personal.open_box(self.private_key, blob, context)


@dataclass(frozen=True)
class RecoveryRecipient(PersonRecipient):
    """The organisation's recovery key, printed and kept offline."""

    kind = RecipientKind.RECOVERY


def _wrap_context(keyring, recipient) -> bytes:
    return f"ombud-wrap/1|{keyring}|{recipient.kind}|{recipient.ref}".encode()


def _wrap_rows(case_key: CaseKey, recipients) -> list[KeyWrap]:
    # The readers' boxes of one case key are sealed together (personal.Sealing).
    sealing = personal.Sealing()
    keyring, raw = case_key.keyring, case_key._raw
    return [
        KeyWrap(
            keyring=keyring,
            recipient_kind=recipient.kind,
            recipient_ref=recipient.ref,
            wrapped=recipient.wrap(keyring, raw, _wrap_context(keyring, recipient), sealing),
        )
        for recipient in recipients
    ]


def new_keyring(keyring: uuid.UUID, recipients) -> tuple[CaseKey, list[KeyWrap]]:
    """A new case key and its unsaved wraps, one per recipient (no lock needed to seal)."""
    case_key = CaseKey(keyring, crypto.new_key())
    return case_key, _wrap_rows(case_key, recipients)


def create_keyring(keyring: uuid.UUID, recipients) -> CaseKey:
    """A new case key, wrapped for each recipient (call inside the case's transaction)."""
    case_key, wraps = new_keyring(keyring, recipients)
    KeyWrap.objects.bulk_create(wraps)
    return case_key


def wraps_for(case_key: CaseKey, recipients) -> list[KeyWrap]:
    """Unsaved wraps of an open case key for more recipients (granting access)."""
    return _wrap_rows(case_key, recipients)


def add_recipient(case_key: CaseKey, recipient) -> None:
    KeyWrap.objects.bulk_create(_wrap_rows(case_key, [recipient]), ignore_conflicts=True)


def open_keyring(keyring: uuid.UUID, recipient) -> CaseKey:
    wrap = KeyWrap.objects.filter(
        keyring=keyring, recipient_kind=recipient.kind, recipient_ref=recipient.ref
    ).first()
    if wrap is None:
        raise KeyUnavailable("This case has no key for this recipient.")
    raw = recipient.unwrap(keyring, wrap.wrapped, _wrap_context(keyring, recipient))
    return CaseKey(keyring, raw)


def open_as_server(keyring: uuid.UUID) -> CaseKey:
    """Open with whichever server key in the key file the case was wrapped to."""
    server_keys = keys.load()
    wraps = KeyWrap.objects.filter(keyring=keyring, recipient_kind=RecipientKind.SERVER)
    for wrap in wraps:
        key = server_keys.wrap_keys.get(wrap.recipient_ref)
        if key is not None:
            recipient = ServerRecipient(wrap.recipient_ref, key)
            raw = recipient.unwrap(keyring, wrap.wrapped, _wrap_context(keyring, recipient))
            return CaseKey(keyring, raw)
    raise KeyUnavailable(
        "This case is not wrapped to any server key in the key file. In the per-person "
        "mode only its responders, leads and the recovery key open it."
    )
