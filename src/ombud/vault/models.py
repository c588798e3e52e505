from django.db import models
from django.utils.translation import gettext_lazy as _


class RecipientKind(models.TextChoices):
    SERVER = "server", _("server key")
    RECEIPT = "receipt", _("reporter's receipt")


class KeyWrap(models.Model):
    """A case key wrapped for one recipient.

    A keyring is the set of wraps of one case key; its id is the case's id.
    Whoever can unwrap one of them can read the case; the server-key
    recipient is the first kind, per-person keys come next.
    """

    keyring = models.UUIDField(db_index=True)
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices)
    recipient_ref = models.CharField(max_length=64)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("key wrap")
        constraints = [
            models.UniqueConstraint(
                fields=["keyring", "recipient_kind", "recipient_ref"], name="one_wrap_per_recipient"
            )
        ]

    def __str__(self):
        return f"{self.keyring} → {self.recipient_kind}:{self.recipient_ref}"
