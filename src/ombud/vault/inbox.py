"""A case's inbox: what arrives later by e-mail, text or phone is sealed without
opening the case.

Each case has an X25519 key pair. Its public half is kept in the clear, so the
mail listener and the provider webhooks can seal an addition (a reply, a text,
a voicemail) and the recusals it causes, although they hold no key that opens
the case; its private half is sealed under the case key, so whoever may open
the case opens the inbox too, and nobody else.
"""

import base64
import json

from ombud.vault import crypto, personal

_PURPOSE = "inbox"


def _context(case_id, purpose: str, object_id) -> bytes:
    return f"ombud-inbox/1|{case_id}|{purpose}|{object_id}".encode()


def new_inbox(case_key, case_id) -> tuple[bytes, bytes]:
    """(public key, private key sealed under the case key) for a new case."""
    public, private = personal.new_key_pair()
    sealed = case_key.seal(_PURPOSE, case_id, {"private": base64.b64encode(private).decode()})
    return public, sealed


def seal(public: bytes, case_id, purpose: str, object_id, content: dict) -> bytes:
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    return personal.seal_to(bytes(public), crypto.pad(data), _context(case_id, purpose, object_id))


def seal_file(public: bytes, case_id, object_id, data: bytes) -> bytes:
    return personal.seal_to(
        bytes(public), crypto.pad(data, step=64 * 1024), _context(case_id, "file", object_id)
    )


def _private(case_key, case) -> bytes:
    opened = case_key.open(_PURPOSE, case.pk, bytes(case.sealed_inbox_key))
    return base64.b64decode(opened["private"])


def open_sealed(case_key, case, purpose: str, object_id, blob: bytes) -> dict:
    data = personal.open_box(_private(case_key, case), blob, _context(case.pk, purpose, object_id))
    return json.loads(crypto.unpad(data))


def open_file(case_key, case, object_id, blob: bytes) -> bytes:
    data = personal.open_box(_private(case_key, case), blob, _context(case.pk, "file", object_id))
    return crypto.unpad(data)
