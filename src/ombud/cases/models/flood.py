"""Floods: an event receiving reports far faster than usual, or many near-identical
ones (services.floods). Alerts are grouped meanwhile and the leads triage the queue."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ombud.events.models import Event


class Flood(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="floods")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # The most reports seen in one detection span, for the leads.
    peak = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("flood")
        constraints = [
            models.UniqueConstraint(
                fields=["event"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_flood_per_event",
            )
        ]

    def __str__(self):
        return f"flood {self.pk}"
