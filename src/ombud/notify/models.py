import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Failed repeatedly")
        CANCELLED = "cancelled", _("No longer wanted")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    address = models.EmailField(blank=True)
    # What the message is about (a case), so a delivery that is no longer
    # wanted - its recipient was recused meanwhile - can be cancelled.
    subject_id = models.UUIDField(null=True, blank=True)
    context = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self):
        return f"{self.kind} {self.id}"
