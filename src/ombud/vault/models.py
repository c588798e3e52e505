from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecipientKind(models.TextChoices):
    SERVER = "server", _("server key")
    RECEIPT = "receipt", _("reporter's receipt")
    PERSON = "person", _("a responder's or lead's own key")
    RECOVERY = "recovery", _("the organisation's recovery key")


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


class PersonalKey(models.Model):
    """A responder's or lead's key pair: the public half in the clear, the private
    half wrapped under their password (Argon2id), opened only at sign-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_key"
    )
    public_key = models.BinaryField()
    wrapped_private = models.BinaryField()
    salt = models.BinaryField()
    kdf = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("personal key")

    def __str__(self):
        return f"personal key of {self.user_id}"
