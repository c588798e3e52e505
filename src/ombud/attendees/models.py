"""An event's attendee and speaker lists, as the ticket shop and the call for papers
know them: who each person is is sealed; only keyed hashes of the normalised name,
e-mail and badge or order codes are in the clear, to find them again."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombud.events.models import Event


class Kind(models.TextChoices):
    ATTENDEES = "attendees", _("Attendees")
    SPEAKERS = "speakers", _("Speakers")


class Source(models.TextChoices):
    PRETIX = "pretix", "pretix"
    PRETALX = "pretalx", "pretalx"
    CSV = "csv", _("CSV file")


class PeopleList(models.Model):
    """One list per event and kind; an import replaces it whole."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    size = models.PositiveIntegerField(default=0)
    # Bound into every person's seal: a row copied into another list does not open.
    seal_id = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("attendee or speaker list")
        constraints = [
            models.UniqueConstraint(fields=["event", "kind"], name="one_list_per_event_and_kind")
        ]

    def __str__(self):
        return f"{self.kind} of event {self.event_id}"


class Person(models.Model):
    # Made before the import's transaction, so everything is sealed first.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    people_list = models.ForeignKey(PeopleList, on_delete=models.CASCADE, related_name="people")
    sealed = models.BinaryField()  # name, e-mail, badge and code (services.store)

    class Meta:
        verbose_name = _("listed person")

    def __str__(self):
        return f"person {self.pk}"


class PersonTag(models.Model):
    """A keyed hash of one identifier, under the ban list's key (same organisation key),
    so a match with the ban list is a comparison of hashes."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tags")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)  # decisions.BanIdentifier.Kind's values
    digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("listed person's identifier")
        indexes = [models.Index(fields=["event", "digest"], name="attendee_tag_lookup")]

    def __str__(self):
        return f"{self.kind} tag"


class ImportSource(models.Model):
    """Where an event's list comes from and how its last import went (per kind)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    base_url = models.URLField(max_length=300, blank=True)
    organizer = models.CharField(max_length=100, blank=True)
    remote_event = models.CharField(max_length=100, blank=True)
    sealed_token = models.BinaryField(null=True, blank=True)  # never shown, never logged
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_ok = models.BooleanField(default=False)
    # Why the last import failed (or how many came in): never a person's data.
    last_message = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("attendee or speaker list source")
        constraints = [
            models.UniqueConstraint(fields=["event", "kind"], name="one_source_per_event_and_kind")
        ]

    def __str__(self):
        return f"{self.source} for {self.kind} of event {self.event_id}"
