"""Receipts: what a reporter keeps to come back to their report.

140 random bits written as 28 Crockford base32 characters in groups of four
(no I, L, O or U, so it survives being read aloud or copied by hand). Only a
keyed hash is stored; with this much entropy a slow hash would buy nothing.
"""

import hashlib
import hmac
import secrets

from ombud.vault import crypto, keys

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
assert len(ALPHABET) == 32  # five bits a character (new_receipt)
LENGTH = 28
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_IGNORED = str.maketrans("", "", " -_.\t\r\n")


def new_receipt() -> str:
    # One read of the system's randomness, not one (or two) per character: 32 divides
    # 256, so a random byte's low five bits pick each character with equal odds.
    return "".join(ALPHABET[byte & 31] for byte in secrets.token_bytes(LENGTH))


def display(receipt: str) -> str:
    return "-".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def normalise(text: str) -> str | None:
    """The canonical receipt for what someone typed, or None if it cannot be one."""
    if not isinstance(text, str) or len(text) > 80:
        return None
    candidate = text.upper().translate(_IGNORED).translate(_CONFUSABLE)
    if len(candidate) != LENGTH or any(ch not in ALPHABET for ch in candidate):
        return None
    return candidate


def keyed_digest(purpose: str, value: str) -> str:
    lookup_key = keys.load().lookup_key
    return hmac.new(lookup_key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


def digest(receipt: str) -> str:
    return keyed_digest("receipt", receipt)


def matches(stored_digest: str, receipt: str) -> bool:
    return hmac.compare_digest(stored_digest, digest(receipt))


# Version 2 binds the box to the report's content too; a version-1 box (key only)
# no longer opens, and the resend is filed as a new report.
_RESEND_INFO = b"ombud resend/2"


def _resend_key(submission_key: str, content_fingerprint: str, report_id, purpose: str) -> bytes:
    # Keyed with the server's lookup key, so the database alone never opens a box,
    # and bound to the content, so the database *and* the key file do not either:
    # enumerating Idempotency-Keys opens nothing without the report's exact words.
    secret = hmac.new(
        keys.load().lookup_key,
        f"{purpose}\0{submission_key}\0{content_fingerprint}".encode(),
        hashlib.sha256,
    ).digest()
    return crypto.derive_key(secret, salt=report_id.bytes, info=_RESEND_INFO)


def seal_for_resend(
    submission_key: str, content_fingerprint: str, report_id, receipt: str, *, purpose="resend"
) -> bytes:
    """The receipt, sealed under the reporter's one-off submission key and their content.

    Only someone sending the same form again (same key, same content) can
    open it, and only for a while (``intake.services.resend_window``). The
    purpose keeps apart boxes opened by other secrets of the reporter's (the
    browser's own cookie: ``intake.models.BrowserResend``).
    """
    return crypto.seal(
        _resend_key(submission_key, content_fingerprint, report_id, purpose),
        receipt.encode(),
        f"{purpose}|{report_id}".encode(),
    )


def open_resend(
    submission_key: str, content_fingerprint: str, report_id, box: bytes, *, purpose="resend"
) -> str:
    return crypto.open_sealed(
        _resend_key(submission_key, content_fingerprint, report_id, purpose),
        box,
        f"{purpose}|{report_id}".encode(),
    ).decode()
