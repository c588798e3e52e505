import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AlertChannel(models.Model):
    """One way to reach one staff member: their inbox, a chat, a webhook, a phone.

    Where it points (webhook URLs and tokens are secrets) is sealed under a key
    derived from the vault's key file; ``label`` is what may be shown.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SLACK = "slack", _("Slack")
        MATTERMOST = "mattermost", _("Mattermost")
        ZULIP = "zulip", _("Zulip")
        DISCORD = "discord", _("Discord")
        MATRIX = "matrix", _("Matrix")
        WEBHOOK = "webhook", _("Signed webhook")
        SMS = "sms", _("SMS")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_channels"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=120)
    sealed_config = models.BinaryField()
    is_primary = models.BooleanField(_("primary"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("alert channel")
        ordering = ["-is_primary", "created_at"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.label}"


class WorkerHeartbeat(models.Model):
    """Each running worker says it is alive; ``ombud worker --check`` reads it."""

    name = models.CharField(max_length=200, unique=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")

    def __str__(self):
        return self.name


class OutboxMessage(models.Model):
    """One message to one person, written in the transaction that caused it.

    Its id is the idempotency key: every retry carries the same Message-ID.
    The context holds only what a content-free message may say.
    """

    class Kind(models.TextChoices):
        NEW_REPORT = "new_report", _("New report")
        URGENT_REPORT = "urgent_report", _("Urgent report")
        REPORTER_ADDED = "reporter_added", _("Reporter added information")
        STAFF_INVITE = "staff_invite", _("Invitation to an event's staff")
        PASSWORD_LINK = "password_link", _("Password link")
        POLICY_CHANGED = "policy_changed", _("Code of conduct or guide changed")
        ESCALATION = "escalation", _("Unacknowledged report, escalated")
        CHANNEL_TEST = "channel_test", _("Test of an alert channel")
        REPORTER_MESSAGE = "reporter_message", _("Message waiting for a reporter")
        OVERDUE = "overdue", _("A case is overdue")
        KEY_REJECTED = "key_rejected", _("A key failed its check")
        REPORT_WITHDRAWN = "report_withdrawn", _("A reporter withdrew their report")
        # To a reporter through the channel they reported by: the receipt, or the
        # team's reply when they asked for it in full. Sealed (``sealed_envelope``).
        TO_REPORTER = "to_reporter", _("Sealed message to a reporter")
        # Alerts held back while one person got many at once (notify.coalesce), in one.
        DIGEST = "digest", _("Several alerts in one")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", pgettext_lazy("alert state", "Sent")
        DEAD = "dead", _("Failed repeatedly")
        CANCELLED = "cancelled", _("No longer wanted")
        MERGED = "merged", _("Sent within a digest")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    address = models.EmailField(blank=True)
    # The channel to deliver through; none means e-mail to ``address``.
    channel = models.ForeignKey(
        AlertChannel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the message is about (a case), so a delivery that is no longer
    # wanted - its recipient was recused meanwhile - can be cancelled.
    subject_id = models.UUIDField(null=True, blank=True)
    context = models.JSONField(default=dict)
    # Recipient, subject and text of a TO_REPORTER message, sealed under a key derived
    # from the server key (notify.envelope) when it is written, deleted once delivered.
    sealed_envelope = models.BinaryField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    # The worker holding the claim (its heartbeat name), so claims of a dead worker
    # are released as soon as its heartbeat stops instead of when the lease ends.
    claimed_by = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    # Held for the digest its recipient gets when their alert window closes.
    held = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("outbox message")
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self):
        return f"{self.kind} {self.id}"


class AlertWindow(models.Model):
    """How many alerts one person got through one channel in the current window
    (notify.coalesce): beyond a few, the rest wait for one digest."""

    # "u<user id>", or "a<keyed hash of the address>" for the fallback contact.
    recipient_key = models.CharField(max_length=80)
    channel_id = models.PositiveBigIntegerField(default=0)  # 0: e-mail to the account
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    # Consecutive windows during a flood, each longer than the last.
    flood_windows = models.PositiveSmallIntegerField(default=0)
    sent = models.PositiveSmallIntegerField(default=0)
    urgent_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("alert window")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient_key", "channel_id"], name="one_alert_window_per_channel"
            )
        ]

    def __str__(self):
        return f"alert window {self.pk}"
