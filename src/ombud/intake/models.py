"""What intake keeps: for minutes between a reporter's tries (never readable alone),
and the event's own reporting channels with what they received (never content)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class HeldFiles(models.Model):
    """Files chosen on a report form that came back with an error, kept for the retry.

    Sealed under a key that only the returned page holds (``intake.held``): the
    database and the server's key file together cannot open them. Gone after an
    hour, or as soon as the report is sent.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sealed = models.BinaryField()
    size = models.PositiveBigIntegerField()
    held_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"held files {self.id}"


class BrowserResend(models.Model):
    """The same report sent again from the same browser (Back, then Send again, which
    brings a fresh submission key) gets the first receipt back for a few minutes.

    Looked up by a keyed hash of the browser's own random cookie and the report's
    content; the receipt is sealed under a key derived from both
    (``vault.receipts.seal_for_resend``), so neither the database nor the key file
    opens it, and no other browser can.
    """

    digest = models.CharField(max_length=64, db_index=True)
    report = models.ForeignKey(
        "cases.Report", on_delete=models.CASCADE, related_name="browser_resends"
    )
    box = models.BinaryField()
    # What the report's files were (a keyed hash): a resend with other files is a new report.
    files_digest = models.CharField(max_length=64)
    sent_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"browser resend {self.pk}"


class IntakeChannel(models.Model):
    """One of an event's own ways in besides the web form: its reporting address,
    its text-message number, its hotline.

    The address or number is public (it is printed on the poster); what Ombud
    needs to use it - an IMAP mailbox URL with its password, the provider's
    account and auth token - is sealed (``intake.channels.config``).
    """

    class Kind(models.TextChoices):
        MAIL = "mail", _("Reporting address (e-mail)")
        SMS = "sms", _("Text-message number")
        VOICE = "voice", _("Hotline (phone calls)")

    class Provider(models.TextChoices):
        # For e-mail: mail arrives at Ombud's own listener, or Ombud polls a mailbox.
        LISTENER = "listener", _("Mail sent or forwarded to Ombud's listener")
        IMAP = "imap", _("A mailbox Ombud checks over IMAP")
        TWILIO = "twilio", _("Twilio")
        GATEWAY = "gateway", _("Generic SMS gateway (Ombud's request format)")

    class Ringing(models.TextChoices):
        ALL = "all", _("Everyone on duty at once")
        ROTA = "rota", _("One after another, in rota order")

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="intake_channels"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    # The reporting address (lower case) or the number in E.164 form (+4930123456).
    address = models.CharField(_("address or number"), max_length=254)
    sealed_config = models.BinaryField(null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Hotline only: how responders are rung, and for how long before voicemail.
    ringing = models.CharField(
        _("how responders are rung"), max_length=8, choices=Ringing.choices, default=Ringing.ALL
    )
    ring_seconds = models.PositiveSmallIntegerField(_("ring for (seconds)"), default=25)
    created_at = models.DateTimeField(auto_now_add=True)
    # Where mail is in the IMAP mailbox after sealing; empty: deleted.
    imap_done_folder = models.CharField(_("move sealed mail to folder"), max_length=200, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("reporting channel")
        constraints = [
            models.UniqueConstraint(fields=["kind", "address"], name="intake_address_unique"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.address} ({self.event_id})"


class InboundMessage(models.Model):
    """Every message or call a channel received, filed or not, by the provider's id.

    The id (Message-ID, MessageSid, CallSid) is kept only as a keyed hash: it makes a
    retried delivery idempotent and tells leads what was turned away and why, with
    no address or content.
    """

    class Outcome(models.TextChoices):
        FILED = "filed", _("Filed as a new report")
        ADDED = "added", _("Added to the reporter's case")
        CALL = "call", _("Call")
        REFUSED = "refused", _("Not a report")

    class Reason(models.TextChoices):
        AUTO_REPLY = "auto_reply", _("Automatic reply")
        BOUNCE = "bounce", _("Bounce")
        LOOP = "loop", _("Mail loop")
        SPAM = "spam", _("Marked as spam")
        FLOOD = "flood", _("Too many messages from one sender")
        TOO_LARGE = "too_large", _("Too large")
        MALFORMED = "malformed", _("Unreadable")
        EMPTY = "empty", _("Empty")
        UNKNOWN_ADDRESS = "unknown_address", _("No such reporting address")

    source_digest = models.CharField(max_length=64, unique=True)
    channel = models.ForeignKey(
        IntakeChannel, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound"
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    report = models.ForeignKey(
        "cases.Report", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A refused message's sender, as a keyed hash, to count floods from one sender.
    sender_digest = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("inbound message")

    def __str__(self):
        return f"inbound {self.outcome} {self.received_at:%Y-%m-%d %H:%M}"


class PendingRecording(models.Model):
    """A hotline voicemail still at the provider: fetched, sealed into a case and then
    deleted there by ``intake.channels.voicemail`` - retried until that succeeds.

    Only what fetching needs is kept: the provider's recording id, and the caller's
    number sealed under a server-derived key (it decides the caller's case). Never
    the audio: that stays at the provider until it is sealed.
    """

    channel = models.ForeignKey(IntakeChannel, on_delete=models.CASCADE, related_name="+")
    recording_sid = models.CharField(max_length=64, unique=True)
    call_sid = models.CharField(max_length=64)
    sealed_caller = models.BinaryField()
    seconds = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("voicemail waiting to be fetched")

    def __str__(self):
        return f"pending voicemail {self.pk}"
