"""Transparency reports: aggregate numbers an event or an organisation publishes.

A report holds two snapshots: the draft the leads work on, and what is public.
A snapshot holds only what a reader sees (shown numbers and suppression marks,
never a suppressed number), so no page can leak what it does not have.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombud.events.models import Event, Organisation

DEFAULT_THRESHOLD = 5
# Never lower: the public wording and the community's expectation are "fewer than 5".
MIN_THRESHOLD = 5
MAX_THRESHOLD = 50
PROSE_LIMIT = 10_000


class TransparencyReport(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # None: the organisation's report for the whole calendar year.
    event = models.OneToOneField(
        Event,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="transparency_report",
    )
    year = models.PositiveSmallIntegerField()
    threshold = models.PositiveSmallIntegerField(
        _("smallest number shown"),
        default=DEFAULT_THRESHOLD,
        validators=[MinValueValidator(MIN_THRESHOLD), MaxValueValidator(MAX_THRESHOLD)],
    )
    prose = models.TextField(_("what the community reads with the numbers"), blank=True)
    draft = models.JSONField(default=dict, blank=True)
    draft_computed_at = models.DateTimeField(null=True, blank=True)
    public = models.JSONField(null=True, blank=True)
    public_prose = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change: "publish" publishes the version its preview showed.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("transparency report")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year"],
                condition=models.Q(event__isnull=True),
                name="one_organisation_report_per_year",
            )
        ]

    def __str__(self):
        return f"transparency report {self.pk}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
