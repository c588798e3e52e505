"""Files chosen on a report form that came back with an error (a missing answer, a
text over its limit, a slow-down): kept, sealed, for the retry.

A browser never sends a file back by itself, so without this a reporter who
fixed one field would lose their photos without noticing. The files are sealed
under a fresh random key that is not stored: it goes back to the browser only,
inside the page's hidden ``held_files`` token (pages are ``no-store``; the token
travels in POST bodies, which are never logged). The database and the key file
together cannot open what is held; it goes as soon as the report is sent, and
is forgotten after ``HOLD_FOR`` anyway.

Anyone can make a form fail, so holding is bounded: per address (the
``report-held`` rate limit) and over all forms at once (``MAX_HELD_BYTES``).
Past either, nothing is held and the page asks for the files again.
"""

import base64
import binascii
import json
import struct
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from ombud.cases.services.attachments import ALLOWED_TYPES, CheckedFile
from ombud.intake.models import HeldFiles
from ombud.vault import crypto
from ombud.vault.errors import VaultError
from ombud.web import ratelimit

HOLD_FOR = timedelta(hours=1)
MAX_HELD_BYTES = 200 * 1024 * 1024
_PAD_STEP = 64 * 1024
_SCOPE = "report-held"


class HeldGone(Exception):
    """The token opens nothing: expired, already used, or not one of ours."""


@dataclass(frozen=True)
class Held:
    token: str
    names: list


def _context(held_id) -> bytes:
    return f"held-files|{held_id}".encode()


def _pack(files) -> bytes:
    header = json.dumps([{"name": f.name, "type": f.content_type, "size": f.size} for f in files])
    header = header.encode()
    return struct.pack(">I", len(header)) + header + b"".join(f.data for f in files)


def _unpack(plain: bytes) -> list[CheckedFile]:
    (length,) = struct.unpack(">I", plain[:4])
    files, at = [], 4 + length
    for meta in json.loads(plain[4 : 4 + length]):
        if meta["type"] not in ALLOWED_TYPES:
            raise HeldGone
        files.append(CheckedFile(meta["name"], meta["type"], plain[at : at + meta["size"]]))
        at += meta["size"]
    return files


def hold(files, request) -> Held | None:
    """Seal checked files for a retry; None when there are none or holding is full."""
    files = list(files)
    size = sum(f.size for f in files)
    if not files or ratelimit.exceeded(_SCOPE, request):
        return None
    already = HeldFiles.objects.aggregate(total=Sum("size"))["total"] or 0
    if already + size > MAX_HELD_BYTES:
        return None
    key = crypto.new_key()
    row = HeldFiles(id=uuid.uuid4(), size=size, held_at=timezone.now())
    row.sealed = crypto.seal(key, crypto.pad(_pack(files), step=_PAD_STEP), _context(row.id))
    row.save(force_insert=True)
    ratelimit.hit(_SCOPE, request)
    token = f"{row.id.hex}.{base64.urlsafe_b64encode(key).decode().rstrip('=')}"
    return Held(token, [f.name for f in files])


def _parse(token: str):
    held_id, _dot, key = (token or "").partition(".")
    try:
        return uuid.UUID(hex=held_id), base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    except (ValueError, binascii.Error):
        raise HeldGone from None


def take(token: str) -> list[CheckedFile]:
    """The files a token holds (they stay held until ``release``); raises HeldGone."""
    held_id, key = _parse(token)
    row = HeldFiles.objects.filter(pk=held_id, held_at__gte=timezone.now() - HOLD_FOR).first()
    if row is None or len(key) != crypto.KEY_BYTES:
        raise HeldGone
    try:
        return _unpack(crypto.unpad(crypto.open_sealed(key, bytes(row.sealed), _context(row.id))))
    except (VaultError, ValueError, KeyError, TypeError, struct.error):
        raise HeldGone from None


def release(token: str) -> None:
    """The files were sent with the report (or held again with others): forget them."""
    try:
        held_id, _key = _parse(token)
    except HeldGone:
        return
    HeldFiles.objects.filter(pk=held_id).delete()


def forget_expired(now) -> int:
    """Housekeeping: held files nobody came back for."""
    deleted, _by_model = HeldFiles.objects.filter(held_at__lt=now - HOLD_FOR).delete()
    return deleted
