"""Attachments on reports and notes: checked, sealed under the case key, opened only
for someone who may read the case (or the reporter, through their receipt).

The type is decided from the file's content, never from its name or the type
the browser claims, and only types a response team can open safely are taken:
photos and screenshots, PDFs and plain text. Files are always served for
download (``Content-Disposition: attachment``, ``nosniff``), never shown inline.
"""

import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ombud.cases.models import Attachment
from ombud.vault import inbox

# Detected type -> the extension a downloaded file gets.
ALLOWED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "application/pdf": "pdf",
    "text/plain": "txt",
    # Voicemails from the hotline, voice notes sent with a report.
    "audio/mpeg": "mp3",
    "audio/x-wav": "wav",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
}
NAME_LIMIT = 120


class AttachmentRefused(ValueError):
    """Says which file and why, in words for the person who chose it; never its content."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def _detected_type(data: bytes) -> str:
    kind = filetype.guess(data)
    if kind is not None:
        return kind.mime
    if b"\0" in data:
        return ""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return "text/plain"


def safe_name(name: str, content_type: str) -> str:
    """The last path part only, printable, short, with the extension its type has."""
    name = unicodedata.normalize("NFC", name or "")
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in {"C", "Z"} or ch == " ")
    stem = name.rsplit(".", 1)[0].strip(" .") or _("attachment")
    return f"{stem[:NAME_LIMIT]}.{ALLOWED_TYPES[content_type]}"


def check(upload) -> CheckedFile:
    """An uploaded file, read and checked; raises AttachmentRefused."""
    shown = safe_name(upload.name, "text/plain").rsplit(".", 1)[0]
    if getattr(upload, "too_large", False) or upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise AttachmentRefused(
            _("“%(name)s” is too big: files can be up to %(limit)s each, %(total)s together.")
            % {
                "name": shown,
                "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                "total": filesizeformat(settings.ATTACHMENT_MAX_TOTAL_BYTES),
            }
        )
    data = upload.read()
    if not data:
        raise AttachmentRefused(_("“%(name)s” is empty.") % {"name": shown})
    content_type = _detected_type(data)
    if content_type not in ALLOWED_TYPES:
        raise AttachmentRefused(
            _(
                "“%(name)s” is not a kind of file we can take. Photos and screenshots "
                "(JPEG, PNG, GIF, WebP, HEIC), PDFs, plain text and sound recordings "
                "(MP3, WAV, OGG, M4A) are fine."
            )
            % {"name": shown}
        )
    return CheckedFile(safe_name(upload.name, content_type), content_type, data)


def check_all(uploads) -> list[CheckedFile]:
    if len(uploads) > settings.ATTACHMENT_MAX_FILES:
        raise AttachmentRefused(
            _("Up to %(count)d files can be attached at once.")
            % {"count": settings.ATTACHMENT_MAX_FILES}
        )
    return [check(upload) for upload in uploads]


def sealed(case_key, case, files, *, at, report=None, note=None, by=None) -> list[Attachment]:
    """Attachment rows, sealed and ready to insert with what they belong to."""
    rows = []
    for checked in files:
        attachment = Attachment(
            id=uuid.uuid4(),
            case=case,
            report=report,
            note=note,
            uploaded_by=by,
            created_at=at,
        )
        attachment.sealed_meta = case_key.seal(
            "attachment",
            attachment.pk,
            {"name": checked.name, "type": checked.content_type, "size": checked.size},
        )
        attachment.sealed_data = case_key.seal_file(attachment.pk, checked.data)
        rows.append(attachment)
    return rows


def sealed_to_inbox(case, files, *, at, report) -> list[Attachment]:
    """Attachment rows for files a channel received later (a reply, a voicemail):
    sealed to the case's inbox, as whoever received them cannot open the case."""
    rows = []
    for checked in files:
        attachment = Attachment(
            id=uuid.uuid4(), case=case, report=report, created_at=at, via_inbox=True
        )
        public = case.inbox_public_key
        attachment.sealed_meta = inbox.seal(
            public,
            case.pk,
            "attachment",
            attachment.pk,
            {"name": checked.name, "type": checked.content_type, "size": checked.size},
        )
        attachment.sealed_data = inbox.seal_file(public, case.pk, attachment.pk, checked.data)
        rows.append(attachment)
    return rows


def _meta(attachment, case_key) -> dict:
    if attachment.via_inbox:
        return inbox.open_sealed(
            case_key, attachment.case, "attachment", attachment.pk, bytes(attachment.sealed_meta)
        )
    return case_key.open("attachment", attachment.pk, bytes(attachment.sealed_meta))


def described(attachments, case_key) -> list[dict]:
    """Name, type and size of each attachment, for listing (the bytes stay sealed)."""
    return [{"id": a.pk, **_meta(a, case_key)} for a in attachments]


def opened(attachment, case_key) -> CheckedFile:
    meta = _meta(attachment, case_key)
    if attachment.via_inbox:
        data = inbox.open_file(
            case_key, attachment.case, attachment.pk, bytes(attachment.sealed_data)
        )
    else:
        data = case_key.open_file(attachment.pk, bytes(attachment.sealed_data))
    return CheckedFile(meta["name"], meta["type"], data)
