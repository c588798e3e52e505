from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    USER = "user", _("user")
    REPORTER = "reporter", _("reporter")
    SYSTEM = "system", _("system")


class Entry(models.Model):
    """One link of the append-only, hash-chained audit log.

    It records who did what to which object, never what the object says.
    The database refuses updates and deletes (see the migration's triggers);
    the chain shows any change made around them.
    """

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    event_id = models.BigIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.seq} {self.action}"
