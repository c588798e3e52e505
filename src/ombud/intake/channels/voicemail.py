"""Hotline voicemails: fetched from the provider, sealed as the audio attachment of
the caller's case (or of a new urgent one), then deleted at the provider.

Until that has happened a ``PendingRecording`` row keeps what is needed to do it -
the provider's recording id and the caller's number, sealed - and the worker retries
(``settle_due``) with back-off: never a lost voicemail. The filing is idempotent by
the RecordingSid (``inbound.receive``), so a retry after a crash between sealing and
deleting files nothing twice: never a duplicate case.
"""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ombud.cases.models import Channel
from ombud.cases.services import attachments
from ombud.intake.channels import inbound, twilio
from ombud.intake.models import InboundMessage, PendingRecording
from ombud.notify.worker import backoff
from ombud.staff import roster
from ombud.staff.models import Role
from ombud.vault import crypto, keys

log = logging.getLogger(__name__)
BATCH = 10


def _context(recording_sid: str) -> bytes:
    return f"ombud-voicemail/1|{recording_sid}".encode()


def _key() -> bytes:
    return keys.load().derived("pending voicemail")


def hold(
    channel,
    *,
    recording_sid: str,
    call_sid: str,
    caller: str,
    seconds: int,
    staff_only: bool = False,
    handed_on=(),
):
    """Remember a voicemail to fetch (once, however often Twilio tells us), with who
    must not hear it: everyone but the incident leads when the caller said it is about
    a member of staff, and whoever handed the call on (membership ids)."""
    now = timezone.now()
    held = {"caller": caller, "staff_only": staff_only, "handed_on": list(handed_on)}
    pending = PendingRecording(
        channel=channel,
        recording_sid=recording_sid,
        call_sid=call_sid,
        sealed_caller=crypto.seal(_key(), json.dumps(held).encode(), _context(recording_sid)),
        seconds=seconds,
        created_at=now,
        next_attempt_at=now,
    )
    try:
        with transaction.atomic():
            pending.save(force_insert=True)
    except IntegrityError:
        return PendingRecording.objects.filter(recording_sid=recording_sid).first()
    return pending


def _held(pending) -> dict:
    sealed = bytes(pending.sealed_caller)
    return json.loads(crypto.open_sealed(_key(), sealed, _context(pending.recording_sid)))


def _kept_away(event, held: dict) -> list[str]:
    """Usernames the voicemail must not reach (as a reporter's exclusions)."""
    handed_on = set(held.get("handed_on") or ())
    return [
        person.username
        for person in roster.load(event).members
        if person.membership_id in handed_on
        or (held.get("staff_only") and person.role != Role.LEAD)
    ]


def _text(event, kept: bool) -> str:
    with translation.override(event.default_language):
        if kept:
            return _("Voicemail left on the hotline: listen to the attached recording.")
        return _(
            "Voicemail left on the hotline. The recording could not be kept here; it "
            "is still in the hotline provider's account."
        )


def _file(pending) -> bool:
    """Fetch and seal; True once the recording may be deleted at the provider."""
    channel = pending.channel
    if inbound.already(channel.kind, pending.recording_sid) is not None:
        return True  # sealed before: only the deletion was left to do
    data = twilio.fetch(
        channel,
        twilio.recording_url(channel, pending.recording_sid),
        limit=settings.ATTACHMENT_MAX_BYTES,
    )
    try:
        files = [attachments.check(SimpleUploadedFile("voicemail.mp3", data))]
    except attachments.AttachmentRefused:
        files = []
    _receive(pending, pending.recording_sid, files)
    # A recording Ombud could not take stays at the provider for a person to fetch.
    return bool(files)


# A voicemail not fetched by then is reported without its recording (the team is told
# at once, as for any urgent report); the recording joins the case once it can be had.
REPORT_UNFETCHED_AFTER = timedelta(minutes=3)


def settle(pending) -> bool:
    """Seal one voicemail and delete it at the provider; on failure, retried later."""
    if pending is None:
        return False
    try:
        delete = _file(pending)
        if delete:
            twilio.delete_recording(pending.channel, pending.recording_sid)
    except Exception as exc:  # one voicemail must never hold up the others
        attempts = pending.attempts + 1
        # Our own errors say what went wrong without secrets; others by class only.
        why = f"{type(exc).__name__}: {exc}" if isinstance(exc, twilio.ProviderError) else ""
        PendingRecording.objects.filter(pk=pending.pk).update(
            attempts=min(attempts, 32000),
            next_attempt_at=timezone.now() + backoff(attempts),
            last_error=(why or type(exc).__name__)[:200],
        )
        log.warning("hotline voicemail not fetched yet (%s); will retry", type(exc).__name__)
        if timezone.now() - pending.created_at >= REPORT_UNFETCHED_AFTER:
            _report_unfetched(pending)
        return False
    PendingRecording.objects.filter(pk=pending.pk).delete()
    return True


def _report_unfetched(pending) -> None:
    """File the voicemail as an urgent report without its recording (once)."""
    _receive(pending, f"{pending.recording_sid}:unfetched", [])


def _receive(pending, source_id: str, files: list) -> None:
    """The voicemail into the caller's case, or a new urgent one, with its call entry."""
    channel = pending.channel
    event = channel.event
    held = _held(pending)
    received = inbound.receive(
        inbound.Arrival(
            channel=channel,
            source_id=source_id,
            sender=held["caller"],
            exclude_staff=_kept_away(event, held),
            text=_text(event, kept=bool(files)),
            files=files,
            language=event.default_language,
            danger_now=True,
        ),
        channel_value=Channel.HOTLINE,
    )
    if received.outcome == InboundMessage.Outcome.FILED and not received.repeated:
        from ombud.intake.channels.voice import entry_for_call  # noqa: PLC0415 -- a cycle

        with transaction.atomic():
            entry_for_call(received.report.case, seconds=pending.seconds, voicemail=True)


def settle_sid(channel, recording_sid: str) -> bool:
    pending = (
        PendingRecording.objects.select_related("channel__event")
        .filter(channel=channel, recording_sid=recording_sid)
        .first()
    )
    return settle(pending)


def settle_due(now=None) -> int:
    """The worker's retry of voicemails still at the provider."""
    now = now or timezone.now()
    due = list(
        PendingRecording.objects.select_related("channel__event")
        .filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at")[:BATCH]
    )
    return sum(1 for pending in due if settle(pending))


RETRY_EVERY = timedelta(seconds=5)
