"""The organisation's records: how long cases are kept, what a lead extended, and the
previews a purge works from. Nothing here holds content in the clear: an extension's
reason is sealed under the case key, a preview lists case ids and versions."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Case
from ombud.events.models import Organisation

# Sane bounds, so a typo cannot keep records for ever or shred them tomorrow.
MONTHS = [MinValueValidator(1), MaxValueValidator(120)]
MONTHS_AFTER_BAN = [MinValueValidator(0), MaxValueValidator(120)]
ATTENDEE_DAYS = [MinValueValidator(1), MaxValueValidator(730)]


class RetentionPolicy(models.Model):
    """How long an organisation keeps a closed case, by its outcome. The defaults are a
    suggestion (``services.policy.policy_for`` creates them); every value is theirs."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="retention_policy"
    )
    months_no_action = models.PositiveSmallIntegerField(
        _("no action: months after closing"), default=6, validators=MONTHS
    )
    months_warning = models.PositiveSmallIntegerField(
        _("verbal correction or written warning: months after closing"),
        default=12,
        validators=MONTHS,
    )
    months_removal = models.PositiveSmallIntegerField(
        _("removal from the event: months after closing"), default=24, validators=MONTHS
    )
    months_after_ban = models.PositiveSmallIntegerField(
        _("ban: months after the ban ends"),
        default=12,
        validators=MONTHS_AFTER_BAN,
        help_text=_("A permanent ban keeps its case until the ban is lifted."),
    )
    attendee_list_days = models.PositiveSmallIntegerField(
        _("attendee and speaker lists: days after the event ends"),
        default=30,
        validators=ATTENDEE_DAYS,
    )
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self):
        return f"retention policy of {self.organisation_id}"


class RetentionExtension(models.Model):
    """A lead keeps a case longer than the policy says, until a date, for a reason sealed
    under the case key (it may name people). Shredded with the case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    until = models.DateField()
    sealed_reason = models.BinaryField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("retention extension")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"kept until {self.until}"


class PurgePreview(models.Model):
    """What was due to be expunged, as it stood when the preview was made: a purge only
    touches cases it listed that have not changed since."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    made_at = models.DateTimeField(db_index=True)
    # None: made by Ombud itself (the worker, `ombud purge`).
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Cases due on or before this date are listed.
    until = models.DateField()

    class Meta:
        verbose_name = _("purge preview")
        ordering = ["-made_at", "-pk"]

    def __str__(self):
        return f"preview {self.pk} of {self.organisation_id}"


class PreviewItem(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("To be expunged when due")
        PURGED = "purged", _("Expunged")
        CHANGED = "changed", _("Changed since the preview: not expunged")
        NOT_DUE = "not_due", _("No longer due")

    preview = models.ForeignKey(PurgePreview, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    updated_at = models.DateTimeField()
    expunge_on = models.DateField()
    rule = models.CharField(max_length=32)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("previewed case")
        indexes = [models.Index(fields=["state", "expunge_on"])]
        constraints = [
            models.UniqueConstraint(fields=["preview", "case"], name="listed_once_per_preview")
        ]

    def __str__(self):
        return f"{self.case_id} in preview {self.preview_id}: {self.state}"
